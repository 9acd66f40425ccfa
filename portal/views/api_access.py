"""API access pages of the portal (partner admins only): the organisation's API tokens and
its webhook endpoints with their delivery log. Writes go through
partners.services.api_access; another organisation's token, endpoint or delivery is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from certportal.errors import ProgramError
from certportal.webhook_models import WebhookDelivery, WebhookEvent
from partners.enums import MemberRole
from partners.services import api_access
from portal.api_forms import TokenCreateForm, WebhookEndpointForm
from portal.context import paginate, portal_view, render_portal, require_role

ADMIN = MemberRole.ADMIN
EVENT_LABELS = dict(WebhookEvent.choices)


def _admin(request) -> int:
    require_role(request, ADMIN)
    return request.portal.partner.pk


def _tokens_page(request, partner_id, *, form, created=None, status=200):
    tokens = paginate(request, api_access.api_tokens_of(partner_id=partner_id), 25)
    response = render_portal(
        request,
        "portal/api_tokens.html",
        {"section": "api", "page": tokens, "form": form, "created": created},
        status=status,
    )
    response["Cache-Control"] = "no-store"  # the page that shows a new token once
    return response


@never_cache
@portal_view
def tokens(request):
    partner_id = _admin(request)
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = api_access.api_token_create(
                actor=request.user, partner_id=partner_id, **form.cleaned_data
            )
        except ProgramError as exc:
            messages.error(request, exc.message)
            return _tokens_page(request, partner_id, form=form, status=exc.status_code)
        # Shown on this response only: it is not stored and cannot be shown again.
        return _tokens_page(
            request, partner_id, form=TokenCreateForm(), created={"token": token, "raw": raw}
        )
    return _tokens_page(request, partner_id, form=form)


@require_POST
@portal_view
def token_revoke(request, pk):
    partner_id = _admin(request)
    token = get_object_or_404(api_access.api_tokens_of(partner_id=partner_id), pk=pk)
    api_access.api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("portal:api_tokens")


# --- Webhooks ----------------------------------------------------------------------------------


def _endpoint(request, pk):
    partner_id = _admin(request)
    return get_object_or_404(api_access.webhook_endpoints_of(partner_id=partner_id), pk=pk)


@never_cache
@portal_view
def webhooks(request):
    partner_id = _admin(request)
    form = WebhookEndpointForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = api_access.webhook_endpoint_create(
                actor=request.user,
                partner_id=partner_id,
                url=data["url"],
                events=data["events"],
                description=data["description"],
                active=data["active"],
            )
        except ProgramError as exc:
            form.add_error(
                "url" if "URL" in exc.message or "host" in exc.message else None, exc.message
            )
            status = exc.status_code
        else:
            created = {"endpoint": endpoint, "secret": secret}
            form = WebhookEndpointForm()
    endpoints = list(api_access.webhook_endpoints_of(partner_id=partner_id))
    for endpoint in endpoints:
        endpoint.event_labels = [EVENT_LABELS.get(e, e) for e in endpoint.events]
    response = render_portal(
        request,
        "portal/api_webhooks.html",
        {"section": "api", "endpoints": endpoints, "form": form, "created": created},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@portal_view
def webhook_detail(request, pk):
    endpoint = _endpoint(request, pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "active": endpoint.active,
    }
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            api_access.webhook_endpoint_update(
                actor=request.user, endpoint=endpoint, **form.cleaned_data
            )
        except ProgramError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("portal:api_webhook", endpoint.pk)
    deliveries = paginate(
        request,
        api_access.webhook_deliveries_of(endpoint=endpoint).prefetch_related("attempt_log"),
        20,
    )
    for delivery in deliveries:
        delivery.event_label = EVENT_LABELS.get(delivery.event, delivery.event)
        delivery.attempts_shown = list(delivery.attempt_log.all())[:5]
    return render_portal(
        request,
        "portal/api_webhook.html",
        {"section": "api", "endpoint": endpoint, "form": form, "page": deliveries},
        status=status,
    )


@require_POST
@portal_view
def webhook_resume(request, pk):
    endpoint = _endpoint(request, pk)
    api_access.webhook_endpoint_resume(actor=request.user, endpoint=endpoint)
    messages.success(request, "Endpoint resumed: pending deliveries are being sent.")
    return redirect("portal:api_webhook", endpoint.pk)


@require_POST
@portal_view
def webhook_delete(request, pk):
    endpoint = _endpoint(request, pk)
    api_access.webhook_endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, "Endpoint deleted.")
    return redirect("portal:api_webhooks")


@require_POST
@portal_view
def delivery_redeliver(request, pk):
    partner_id = _admin(request)
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("endpoint").filter(endpoint__partner_id=partner_id),
        pk=pk,
    )
    api_access.webhook_redeliver(actor=request.user, delivery=delivery)
    messages.success(request, "Queued for delivery again (same event id).")
    return redirect("portal:api_webhook", delivery.endpoint_id)
