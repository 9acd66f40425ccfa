"""The partner portal's "Submit an update" page for a certified integration.

Two steps without JavaScript: the partner says what changed, sees the resulting path
(kind, quota use, SLA target, code review, deployment cycle) and confirms; the service
`request_start_update` then creates the draft from the last certified package."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone

from certifications import deployments, selectors, services
from certifications.enums import DocumentType, QuotaUse, RequestState
from certifications.update_forms import UPDATABLE_DOCUMENTS, UpdateConfirmForm, UpdateForm
from certifications.updates import MAJOR_CHANGE_DEFINITION, update_path
from certportal.errors import ProgramError
from partners import selectors as partner_selectors
from partners.enums import MemberRole
from portal.context import portal_view, render_portal, require_role
from portal.views.common import scoped_integrations

TEMPLATE = "updates/update_start.html"


def _quota_left(partner_id: int, quota: str) -> int | None:
    if quota == QuotaUse.NONE:
        return None
    agreement = partner_selectors.agreement_in_force(partner=partner_id)
    if agreement is None:
        return 0
    return partner_selectors.quota_summary(agreement=agreement)[quota].left


def _path_context(integration, data) -> dict:
    path = update_path(
        product_area=integration.product_area,
        change=data["change"],
        vendor_side_change=data["vendor_side_change"],
    )
    labels = dict(UPDATABLE_DOCUMENTS)
    required = [DocumentType.RELEASE_NOTES.label] + [labels[d] for d in data["docs_to_update"]]
    today = timezone.localdate()
    return {
        "path": path,
        "quota_label": QuotaUse(path.quota).label,
        "quota_left": _quota_left(integration.partner_id, path.quota),
        "required_docs": required,
        "expected": deployments.expected_deployment(kind=path.kind, today=today),
        "deploys_in_cycle": path.deploys_in_cycle,
        "unchanged_docs": [
            (label, data["docs_unchanged"][code])
            for code, label in UPDATABLE_DOCUMENTS
            if code in data["docs_unchanged"]
        ],
    }


@portal_view
def update_start(request, pk):
    integration = get_object_or_404(scoped_integrations(request).select_related("partner"), pk=pk)
    require_role(request, MemberRole.DEVELOPER, integration.partner_id)
    certified = selectors.latest_certified(integration)
    context = {
        "integration": integration,
        "certified": certified,
        "major_definition": MAJOR_CHANGE_DEFINITION,
        "section": "integrations",
    }
    if certified is None:
        context["form"] = None
        return render_portal(request, TEMPLATE, context, status=409)
    open_update = integration.requests.filter(
        update_of__isnull=False,
        state__in=(
            RequestState.DRAFT,
            RequestState.SUBMITTED,
            RequestState.CHANGES_REQUESTED,
            RequestState.USER_TESTING,
            RequestState.CODE_REVIEW,
            RequestState.DOCUMENTATION_REVIEW,
            RequestState.ON_HOLD,
        ),
    ).first()
    context["open_update"] = open_update
    form = UpdateForm(request.POST or None)
    context["form"] = form
    if request.method != "POST":
        return render_portal(request, TEMPLATE, context)
    if not form.is_valid():
        return render_portal(request, TEMPLATE, context, status=400)
    context.update(_path_context(integration, form.cleaned_data))
    if not UpdateConfirmForm(request.POST).confirmed():
        context["confirming"] = True
        return render_portal(request, TEMPLATE, context)
    data = form.cleaned_data
    try:
        draft = services.request_start_update(
            certified=certified,
            actor=request.user,
            version=data["version"],
            change=data["change"],
            vendor_side_change=data["vendor_side_change"],
            change_summary=data["change_summary"],
            docs_to_update=list(data["docs_to_update"]),
            docs_unchanged=data["docs_unchanged"],
        )
    except ProgramError as exc:
        messages.error(request, exc.message)
        context["confirming"] = True
        return render_portal(request, TEMPLATE, context, status=exc.status_code)
    messages.success(
        request,
        f"Update {draft.version} is started as a draft. Upload the release notes and the "
        "documents you flagged, then submit.",
    )
    return redirect(reverse("portal:request_step", args=[draft.pk, "details"]))
