"""The partner's dashboard and integration pages."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect

from certifications import selectors, services
from certifications.forms import IntegrationForm
from certportal.errors import ProgramError
from certportal.links import link
from partners import selectors as partner_selectors
from partners import services as partner_services
from partners.enums import MemberRole
from portal.context import (
    paginate,
    paginate_counted,
    portal_page,
    portal_view,
    render_portal,
    require_role,
)
from portal.views.common import (
    row_url,
    scoped_integrations,
    state_label,
)
from portal.views.eligibility import eligibility_rows
from reviews import selectors as review_selectors
from reviews.access import repo_access_grants_for, repo_access_panel
from reviews.github import is_configured as github_is_configured

DEV = MemberRole.DEVELOPER


# --- Dashboard ---------------------------------------------------------------------------


@portal_page("portal-dashboard")
def dashboard(request):
    partner = request.portal.partner
    # The agreement in force with its money, quota and the eligibility facts: one query.
    in_force = partner_selectors.agreement_in_force_with_totals(partner=partner)
    agreement = in_force or partner_selectors.agreement_current(partner=partner)
    quota = money = lines = None
    if agreement is not None:
        lines = partner_selectors.quota_summary(agreement=agreement)
        quota = list(lines.values())
        money = partner_selectors.money_summary(agreement=agreement)
    per_quota = partner_services.eligibility_per_quota(
        partner=partner,
        agreement_in_force=in_force,
        money=money if in_force is not None else None,
        quota=lines if in_force is not None else None,
        facts={"review_state": in_force.review_state, "has_plan": in_force.has_plan}
        if in_force is not None
        else None,
    )
    unmet = [{"message": u.message, "url": link(u.fix_url_name)} for u in per_quota[None]]
    eligibility = eligibility_rows(per_quota, next_url=request.get_full_path())
    integrations = paginate_counted(
        request,
        lambda offset, limit: selectors.integration_rows_with_latest(
            user=request.user, partner_id=partner.pk, offset=offset, limit=limit
        ),
        10,
    )
    integration_url = row_url("portal:integration_detail")
    request_url = row_url("portal:request_detail")
    for item in integrations:
        item.url = integration_url(item.pk)
        item.latest_url = request_url(item.latest_request_id) if item.latest_request_id else ""
        item.latest_state_label = state_label(item.latest_state)
    waiting = selectors.requests_waiting_on_partner(
        user=request.user, partner_id=partner.pk, limit=10
    )
    for item in waiting:
        item["state_label"] = state_label(item["state"])
        item["url"] = request_url(item["pk"])
    open_findings = review_selectors.open_findings_brief(
        user=request.user, partner_id=partner.pk, limit=10
    )
    for item in open_findings:
        item["url"] = f"{request_url(item['request_id'])}#f{item['pk']}"
    return render_portal(
        request,
        "portal/dashboard.html",
        {
            "agreement": agreement,
            "quota": quota,
            "money": money,
            "unmet": unmet,
            "eligibility": eligibility,
            "integrations": integrations,
            "waiting": waiting,
            "open_findings": open_findings,
        },
    )


# --- Integrations ----------------------------------------------------------------------------


@portal_view
def integration_list(request):
    page = paginate(
        request,
        selectors.integrations_with_latest_request(
            user=request.user, partner_id=request.portal.partner.pk
        ).order_by("name"),
    )
    integration_url = row_url("portal:integration_detail")
    request_url = row_url("portal:request_detail")
    for item in page:
        item.url = integration_url(item.pk)
        item.latest_url = request_url(item.latest_request_id) if item.latest_request_id else ""
        item.latest_state_label = state_label(item.latest_state)
    return render_portal(request, "portal/integration_list.html", {"page": page})


def _integration_form_page(request, integration=None):
    partner_id = integration.partner_id if integration else request.portal.partner.pk
    require_role(request, DEV, partner_id)
    form = IntegrationForm(request.POST or None, instance=None, initial=_initial(integration))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.integration_save(
                partner_id=partner_id,
                actor=request.user,
                integration=integration,
                **form.cleaned_data,
            )
        except ProgramError as exc:
            messages.error(request, exc.message)
            status = exc.status_code
        else:
            messages.success(request, f"{saved.name} saved.")
            return redirect("portal:integration_detail", saved.pk)
    return render_portal(
        request,
        "portal/integration_form.html",
        {"form": form, "integration": integration},
        status=status,
    )


def _initial(integration):
    if integration is None:
        return {}
    return {f: getattr(integration, f) for f in IntegrationForm.Meta.fields}


@portal_view
def integration_create(request):
    return _integration_form_page(request)


@portal_view
def integration_edit(request, pk):
    integration = get_object_or_404(scoped_integrations(request), pk=pk)
    return _integration_form_page(request, integration)


@portal_view
def integration_detail(request, pk):
    integration = get_object_or_404(scoped_integrations(request).select_related("partner"), pk=pk)
    page = paginate(request, selectors.requests_of(integration))
    for item in page:
        item.state_label = state_label(item.state)
    return render_portal(
        request,
        "portal/integration_detail.html",
        {
            "integration": integration,
            "page": page,
            "certificates": list(selectors.certificates_of(integration)[:20]),
            "can_edit": request.portal.allows(DEV, integration.partner_id),
            "grants": list(repo_access_grants_for(integration=integration)),
            "access": repo_access_panel(integration=integration),
            "github_configured": github_is_configured(),
            "latest_certified": selectors.latest_certified(integration),
        },
    )
