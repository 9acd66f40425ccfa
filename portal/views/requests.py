"""A certification request's page and its actions: resubmit, withdraw, reply to a finding,
download a document."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from certifications import selectors, services
from certifications.enums import (
    NEXT_STEP,
    RequestState,
)
from certifications.forms import (
    FindingReplyForm,
    ResubmitForm,
    WithdrawForm,
)
from certifications.updates import review_path
from certportal.downloads import private_file_response
from certportal.errors import ProgramError
from partners.enums import MemberRole
from portal.context import paginate, portal_page, portal_view, render_portal, require_role
from portal.views.common import (
    load_request,
    row_url,
    scoped_requests,
    sla_info,
    state_label,
)
from reviews import selectors as review_selectors
from reviews import workspace_page as review_workspace_page
from reviews.enums import DisputeState, FindingStatus
from reviews.intake import selectors as intake_selectors
from reviews.services import finding_reply as finding_reply_service

DEV, ADMIN = MemberRole.DEVELOPER, MemberRole.ADMIN
REPLIES_PER_PAGE = 50


# --- Request detail and its actions -------------------------------------------------------


def _detail_context(
    request, req, *, resubmit_form=None, reply_form=None, reply_for=None, withdraw_form=None
):
    partner_id = req.integration.partner_id
    findings = review_selectors.findings_with_replies(req)
    can_reply = request.portal.allows(DEV, partner_id) and not req.is_final
    # One reverse per link of the findings, not one per finding.
    reply_url = row_url("portal:finding_reply")
    dispute_url = row_url("portal:finding_dispute")
    thread_url = row_url("portal:finding_thread")
    for finding in findings:
        bound = reply_form if reply_for == finding.pk else None
        finding.reply_form = bound or FindingReplyForm(auto_id=f"f{finding.pk}_%s")
        finding.reply_url = reply_url(finding.pk)
        finding.dispute_url = dispute_url(finding.pk)
        finding.thread_url = thread_url(finding.pk)
        # Issue 15: a finding still waiting on the partner may be disputed, once at a time.
        finding.can_dispute = (
            can_reply
            and finding.dispute_state != DisputeState.OPEN
            and finding.status in (FindingStatus.OPEN, FindingStatus.ADDRESSED)
        )
    groups = [
        {"stage": stage_findings[0].get_stage_display(), "findings": stage_findings}
        for stage_findings in (list(items) for _, items in groupby(findings, key=lambda f: f.stage))
    ]
    available = {t.name for t in req.get_available_user_state_transitions(request.user)}
    certificate = selectors.certificate_of(req)
    listing = selectors.listing_of(integration_id=req.integration_id)
    timeline = selectors.timeline_list(req)
    documents = selectors.documents_list(req)
    download_url = row_url("portal:document_download")
    for document in documents:
        document.url = download_url(document.pk)
    for entry in timeline:
        entry.to_label = state_label(entry.to_state)
    return {
        "req": req,
        "review_path": review_path(req, {e.to_state for e in timeline}),
        "next_step": NEXT_STEP.get(req.state, ""),
        "sla": sla_info(req),
        "timeline": timeline,
        "finding_groups": groups,
        "can_reply": can_reply,
        "can_edit": request.portal.allows(DEV, partner_id),
        "documents": documents,
        "environments": selectors.environments_list(req),
        "can_resubmit": "resubmit" in available,
        "can_withdraw": "withdraw" in available,
        "resubmit_form": resubmit_form or ResubmitForm(),
        "withdraw_form": withdraw_form or WithdrawForm(),
        "certificate": certificate,
        "listing": listing,
        "editable_draft": req.state == RequestState.DRAFT,
        "intake": intake_selectors.intake_panel(request=req)
        if req.state in intake_selectors.REPORT_STATES
        else None,
        # Issue 15: what changed since the previous round / the last certified commit.
        "changes": review_workspace_page.what_changed(req),
    }


def _render_detail(request, req, status=200, **kwargs):
    return render_portal(
        request, "portal/request_detail.html", _detail_context(request, req, **kwargs), status
    )


@portal_page("portal-request")
def request_detail(request, pk):
    return _render_detail(request, load_request(request, pk))


@require_POST
@portal_view
def request_resubmit(request, pk):
    req = load_request(request, pk)
    require_role(request, ADMIN, req.integration.partner_id)
    form = ResubmitForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, req, resubmit_form=form)
    try:
        services.request_transition(
            request=req, name="resubmit", actor=request.user, **form.cleaned_data
        )
    except ProgramError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, req, status=exc.status_code, resubmit_form=form)
    messages.success(request, "Resubmitted: the request is back in user testing.")
    return redirect("portal:request_detail", req.pk)


@require_POST
@portal_view
def request_withdraw(request, pk):
    req = load_request(request, pk)
    require_role(request, ADMIN, req.integration.partner_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, req, status=400, withdraw_form=form)
    try:
        services.request_transition(
            request=req, name="withdraw", actor=request.user, **form.cleaned_data
        )
    except ProgramError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, req, status=exc.status_code, withdraw_form=form)
    messages.success(request, "The request was withdrawn.")
    return redirect("portal:request_detail", req.pk)


@require_POST
@portal_view
def finding_reply(request, pk):
    finding = get_object_or_404(
        review_selectors.findings_for_requests(scoped_requests(request)), pk=pk
    )
    req = load_request(request, finding.request_id)
    require_role(request, DEV, req.integration.partner_id)
    form = FindingReplyForm(request.POST, auto_id=f"f{finding.pk}_%s")
    status = 200
    if form.is_valid():
        try:
            finding_reply_service(finding=finding, actor=request.user, **form.cleaned_data)
        except ProgramError as exc:
            messages.error(request, exc.message)
            status = exc.status_code
        else:
            messages.success(request, "Reply sent to the reviewer.")
            return redirect(reverse("portal:request_detail", args=[req.pk]) + f"#f{finding.pk}")
    return _render_detail(request, req, status=status, reply_form=form, reply_for=finding.pk)


@require_GET
@portal_view
def finding_thread(request, pk):
    """A finding's whole reply thread, newest page first (the request page shows the
    latest replies only)."""
    finding = get_object_or_404(
        review_selectors.findings_for_requests(scoped_requests(request)).select_related(
            "guideline"
        ),
        pk=pk,
    )
    page = paginate(request, review_selectors.replies_of(finding), per_page=REPLIES_PER_PAGE)
    page.object_list = list(page.object_list)[::-1]
    return render_portal(
        request,
        "portal/finding_thread.html",
        {"finding": finding, "req": finding.request, "page": page},
    )


# --- Documents -----------------------------------------------------------------------------


@portal_view
def document_download(request, pk):
    document = get_object_or_404(
        selectors.documents_for(user=request.user).filter(
            request__integration__partner_id__in=request.portal.partner_ids
        ),
        pk=pk,
    )
    return private_file_response(
        document.file, filename=document.original_name, content_type=document.content_type
    )
