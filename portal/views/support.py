"""Partner-portal support pages: the organisation's tickets, a ticket (public replies and
attachments only — internal notes never reach these pages), raising a ticket, and the
integration support page (support plan in force, targets, planned deployments).

Objects load through user-scoped selectors limited to the user's memberships; another
organisation's ticket is a 404, a too-small role a 403. Writes go through the services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from certifications import deployments
from certifications import selectors as cert_selectors
from certifications.enums import RequestState
from certportal.errors import ProgramError
from partners.enums import MemberRole
from portal.context import paginate, portal_view, render_portal, require_role
from portal.views.common import scoped_integrations
from support import permissions as perms
from support import selectors, services
from support.enums import OPEN_TICKET_STATES, TicketState
from support.forms import (
    ReasonForm,
    ReplyForm,
    ResolveForm,
    TicketForm,
    TicketListForm,
    TicketPrefillForm,
)
from support.web import attachment_response, event_page, ticket_from_form

DEV, ADMIN = MemberRole.DEVELOPER, MemberRole.ADMIN


def _tickets(request):
    return selectors.tickets_for(user=request.user, partner_ids=request.portal.partner_ids)


# --- Tickets -----------------------------------------------------------------------------


@portal_view
def ticket_list(request):
    show = TicketListForm(request.GET).show_value()
    qs = _tickets(request).filter(partner_id=request.portal.partner.pk)
    if show == "open":
        qs = qs.filter(state__in=OPEN_TICKET_STATES)
    page = paginate(request, qs.order_by("-created_at", "-pk"))
    return render_portal(
        request,
        "support/portal/ticket_list.html",
        {
            "page": page,
            "show": show,
            "section": "support",
            "can_raise": request.portal.allows(DEV),
        },
    )


@portal_view
def ticket_new(request):
    partner = request.portal.partner
    require_role(request, DEV, partner.pk)
    integrations = selectors.certified_integrations(user=request.user, partner_ids=[partner.pk])
    initial = TicketPrefillForm(request.GET).prefill()
    form = TicketForm(
        request.POST or None, request.FILES or None, integrations=integrations, initial=initial
    )
    status = 200
    if request.method == "POST":
        ticket, status = ticket_from_form(request, form)
        if ticket is not None:
            return redirect("support:ticket_detail", ticket.pk)
    return render_portal(
        request,
        "support/portal/ticket_new.html",
        {"form": form, "section": "support", "has_integrations": integrations.exists()},
        status=status,
    )


def _detail_context(request, ticket, **forms) -> dict:
    user = request.user
    editor = perms.is_ticket_partner_editor(ticket, user)
    events = event_page(request, selectors.public_events(ticket))
    ctx = {
        "ticket": ticket,
        "section": "support",
        "events": events.object_list,
        "events_page": events,
        "events_url": reverse("support:ticket_detail", args=[ticket.pk]),
        "plan": selectors.support_plan_for(ticket.partner_id),
        "now": timezone.now(),
        "can_reply": editor and ticket.state != TicketState.CLOSED,
        "can_acknowledge": ticket.state == TicketState.WITH_PARTNER
        and ticket.acknowledged_at is None
        and perms.is_ticket_partner_admin(ticket, user),
        "can_resolve": editor and perms.can_handle(ticket, user),
        "can_close": editor and ticket.state == TicketState.RESOLVED,
        "can_reopen": editor and ticket.state in (TicketState.RESOLVED, TicketState.CLOSED),
        "reply_form": ReplyForm(),
        "resolve_form": ResolveForm(),
        "reopen_form": ReasonForm(),
    }
    ctx.update(forms)
    return ctx


@portal_view
def ticket_detail(request, pk):
    ticket = get_object_or_404(_tickets(request), pk=pk)
    return render_portal(
        request, "support/portal/ticket_detail.html", _detail_context(request, ticket)
    )


PORTAL_ACTIONS = {"reply", "acknowledge", "resolve", "close", "reopen"}


@require_POST
@portal_view
def ticket_action(request, pk, action):
    if action not in PORTAL_ACTIONS:
        raise Http404("Unknown action")
    ticket = get_object_or_404(_tickets(request), pk=pk)
    role_needed = ADMIN if action == "acknowledge" else DEV
    require_role(request, role_needed, ticket.partner_id)
    bound = {}
    try:
        if action == "reply":
            form = ReplyForm(request.POST, request.FILES)
            bound["reply_form"] = form
            if not form.is_valid():
                raise ProgramError("Check the reply below.")
            services.ticket_reply(
                ticket=ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                uploads=form.cleaned_data["attachments"],
            )
            messages.success(request, "Your reply was added.")
        elif action == "acknowledge":
            services.ticket_acknowledge(ticket=ticket, actor=request.user)
            messages.success(request, "Acknowledged: the support desk can see you have it.")
        elif action == "resolve":
            form = ResolveForm(request.POST)
            bound["resolve_form"] = form
            if not form.is_valid():
                raise ProgramError("Say how the ticket was resolved.")
            services.ticket_resolve(
                ticket=ticket, actor=request.user, resolution=form.cleaned_data["resolution"]
            )
            messages.success(request, "The ticket is resolved.")
        elif action == "close":
            services.ticket_close(ticket=ticket, actor=request.user)
            messages.success(request, "The ticket is closed.")
        else:
            form = ReasonForm(request.POST)
            bound["reopen_form"] = form
            if not form.is_valid():
                raise ProgramError("Say why the ticket is reopened.")
            services.ticket_reopen(
                ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, "The ticket was reopened and goes back to the support desk.")
    except ProgramError as exc:
        if exc.code == "not_allowed":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
        return render_portal(
            request,
            "support/portal/ticket_detail.html",
            _detail_context(request, ticket, **bound),
            status=exc.status_code,
        )
    return redirect("support:ticket_detail", ticket.pk)


@portal_view
def attachment_download(request, pk):
    attachment = get_object_or_404(
        # Attachments hang off public events only; internal notes carry none.
        selectors.attachments_for(user=request.user, partner_ids=request.portal.partner_ids),
        pk=pk,
    )
    return attachment_response(attachment)


# --- Integration support page ------------------------------------------------------------


def planned_deployments(integration, today):
    """Module updates: the cycle each certified update ships in, and for an update still
    under review, the cycle it makes if certified today (with the cut-off)."""
    if not integration.is_module:
        return [], None
    shipped = list(
        deployments.scheduled_requests(integration.requests.all()).filter(
            deployment_date__gte=today
        )
    )
    for req in shipped:
        req.cutoff = deployments.cutoff_of(req.deployment_date)
    in_review = integration.requests.filter(
        update_of__isnull=False,
        state__in=(
            RequestState.DRAFT,
            RequestState.SUBMITTED,
            RequestState.USER_TESTING,
            RequestState.CODE_REVIEW,
            RequestState.DOCUMENTATION_REVIEW,
            RequestState.CHANGES_REQUESTED,
            RequestState.ON_HOLD,
        ),
    ).first()
    if in_review is None:
        return shipped, None
    # The cycle after the day the update can be certified (its review target), never
    # one it could not make.
    expected = deployments.expected_deployment(
        kind=in_review.kind, today=today, due_at=in_review.sla_due_at
    )
    return shipped, expected


@portal_view
def integration_support(request, pk):
    integration = get_object_or_404(scoped_integrations(request).select_related("partner"), pk=pk)
    certified = cert_selectors.latest_certified(integration)
    certificate = getattr(certified, "certificate", None) if certified else None
    plan = selectors.support_plan_for(integration.partner_id)
    today = timezone.localdate()
    shipped, next_slot = planned_deployments(integration, today)
    tickets = list(
        _tickets(request)
        .filter(integration=integration, state__in=OPEN_TICKET_STATES)
        .order_by("-created_at")[:20]
    )
    return render_portal(
        request,
        "support/portal/integration_support.html",
        {
            "integration": integration,
            "certified": certified,
            "certificate": certificate,
            "plan": plan,
            "targets": selectors.targets(plan),
            "shipped": shipped,
            "next_slot": next_slot,
            "meeting": selectors.support_meeting_for_integration(integration.pk),
            "tickets": tickets,
            "section": "support",
            "can_raise": request.portal.allows(DEV, integration.partner_id),
        },
    )
