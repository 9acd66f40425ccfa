"""Partner-portal pages of the certifications app: dashboard, integrations, the submission
wizard, request detail, document download and the public certificate verification page.

Every object is loaded through a user-scoped selector further limited to the user's own
memberships (vendor staff who are not members see nothing here); another tenant's row is a
404, a too-small role a 403. Writes go through the services only."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from certifications import selectors, services, sla
from certifications.enums import (
    KIND_QUOTA,
    NEXT_STEP,
    WAITING_ON_PARTNER,
    QuotaUse,
    RequestState,
)
from certifications.forms import (
    ChecklistForm,
    DocumentForm,
    EnvironmentForm,
    FindingReplyForm,
    IntegrationForm,
    RequestDetailsForm,
    ResubmitForm,
)
from certifications.models import Certificate, Guideline, Listing
from certportal.downloads import private_file_response
from certportal.errors import ProgramError
from certportal.pagecache import cached_view, portal_page
from certportal.portal_context import paginate, portal_view, render_portal, require_role
from partners import selectors as partner_selectors
from partners import services as partner_services
from partners.enums import MemberRole
from reviews.access import repo_access_grants_for
from reviews.enums import FindingStatus
from reviews.github import is_configured as github_is_configured
from reviews.models import Finding, FindingReply
from reviews.services import finding_reply as finding_reply_service

DEV, ADMIN = MemberRole.DEVELOPER, MemberRole.ADMIN

STEPS = [
    ("details", "Version and commit"),
    ("checklist", "README and checklist"),
    ("documents", "Documents"),
    ("environments", "Test access"),
    ("review", "Review and submit"),
]
STEP_NAMES = [name for name, _ in STEPS]
# Documents and test access may still change while changes are requested.
STEP_STATES = {
    "documents": (RequestState.DRAFT, RequestState.CHANGES_REQUESTED),
    "environments": (RequestState.DRAFT, RequestState.CHANGES_REQUESTED),
}


def _state_label(state: str | None) -> str:
    return RequestState(state).label if state else ""


def _sla_info(req, now=None) -> dict:
    now = now or timezone.now()
    status = sla.status(state=req.state, due_at=req.sla_due_at, now=now)
    return {
        "due_at": req.sla_due_at,
        "status": status,
        "label": sla.STATUS_LABELS[status],
        "days_left": sla.days_left(req.sla_due_at, now),
    }


def _requests(request):
    return selectors.requests_for(user=request.user).filter(
        integration__partner_id__in=request.portal.partner_ids
    )


def _integrations(request):
    return selectors.integrations_for(user=request.user).filter(
        partner_id__in=request.portal.partner_ids
    )


def _load_request(request, pk):
    return get_object_or_404(_requests(request), pk=pk)


def _fix_url(name: str) -> str:
    try:
        return reverse(name) if name else ""
    except NoReverseMatch:
        return ""


# --- Dashboard ---------------------------------------------------------------------------


@portal_page("portal-dashboard")
def dashboard(request):
    partner = request.portal.partner
    in_force = partner_selectors.agreement_in_force(partner=partner)
    agreement = in_force or partner_selectors.agreement_current(partner=partner)
    quota = money = None
    if agreement is not None:
        quota = list(partner_selectors.quota_summary(agreement=agreement).values())
        money = partner_selectors.money_summary(agreement=agreement)
    unmet = [
        {"message": u.message, "url": _fix_url(u.fix_url_name)}
        for u in partner_services.eligibility_check(
            partner=partner,
            quota_kind=None,
            agreement_in_force=in_force,
            money=money if in_force is not None else None,
        )
    ]
    integrations = paginate(
        request,
        selectors.integrations_with_latest_request(
            user=request.user, partner_id=partner.pk
        ).order_by("name"),
        10,
    )
    for item in integrations:
        item.latest_state_label = _state_label(item.latest_state)
    scoped = selectors.requests_for(user=request.user, partner_id=partner.pk)
    waiting = list(scoped.filter(state__in=WAITING_ON_PARTNER).order_by("-updated_at")[:10])
    for item in waiting:
        item.state_label = _state_label(item.state)
    open_findings = list(
        Finding.objects.filter(request__in=scoped.values("pk"), status=FindingStatus.OPEN)
        .select_related("request__integration", "guideline")
        .order_by("created_at")[:10]
    )
    return render_portal(
        request,
        "portal/dashboard.html",
        {
            "agreement": agreement,
            "quota": quota,
            "money": money,
            "unmet": unmet,
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
    for item in page:
        item.latest_state_label = _state_label(item.latest_state)
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
    integration = get_object_or_404(_integrations(request), pk=pk)
    return _integration_form_page(request, integration)


@portal_view
def integration_detail(request, pk):
    integration = get_object_or_404(_integrations(request).select_related("partner"), pk=pk)
    page = paginate(request, integration.requests.order_by("-created_at", "-pk"))
    for item in page:
        item.state_label = _state_label(item.state)
    return render_portal(
        request,
        "portal/integration_detail.html",
        {
            "integration": integration,
            "page": page,
            "certificates": list(selectors.certificates_of(integration)[:20]),
            "can_edit": request.portal.allows(DEV, integration.partner_id),
            "grants": list(repo_access_grants_for(integration=integration)),
            "github_configured": github_is_configured(),
            "latest_certified": selectors.latest_certified(integration),
        },
    )


# --- Submission wizard -----------------------------------------------------------------------


def _step_url(req, step: str) -> str:
    return reverse("portal:request_step", args=[req.pk, step])


def _next_step(step: str) -> str:
    index = STEP_NAMES.index(step)
    return STEP_NAMES[min(index + 1, len(STEP_NAMES) - 1)]


def _wizard_context(req, step: str) -> dict:
    return {
        "req": req,
        "step": step,
        "steps": [
            {"name": name, "label": label, "url": _step_url(req, name) if req else ""}
            for name, label in STEPS
        ],
    }


@portal_view
def request_new(request, pk):
    integration = get_object_or_404(_integrations(request), pk=pk)
    require_role(request, DEV, integration.partner_id)
    form = RequestDetailsForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            req = services.request_create(
                integration=integration, actor=request.user, **form.cleaned_data
            )
        except ProgramError as exc:
            messages.error(request, exc.message)
            status = exc.status_code
        else:
            messages.success(request, "Draft saved. Continue with the checklist.")
            return redirect(_step_url(req, "checklist"))
    context = _wizard_context(None, "details")
    context.update({"form": form, "integration": integration})
    return render_portal(request, "portal/wizard.html", context, status=status)


@portal_view
def request_step(request, pk, step):
    if step not in STEP_NAMES:
        raise Http404("Unknown step")
    req = _load_request(request, pk)
    require_role(request, DEV, req.integration.partner_id)
    allowed = STEP_STATES.get(step, (RequestState.DRAFT,))
    if step != "review" and req.state not in allowed:
        messages.info(request, f"This request is {req.get_state_display().lower()}.")
        return redirect("portal:request_detail", req.pk)
    handler = {
        "details": _step_details,
        "checklist": _step_checklist,
        "documents": _step_documents,
        "environments": _step_environments,
        "review": _step_review,
    }[step]
    return handler(request, req)


def _save_draft(request, req, step, form, status_holder, **fields):
    try:
        services.request_update_draft(request=req, actor=request.user, **fields)
    except ProgramError as exc:
        messages.error(request, exc.message)
        status_holder.append(exc.status_code)
        return None
    messages.success(request, "Draft saved.")
    return redirect(_step_url(req, _next_step(step)))


def _render_step(request, req, step, status=200, **extra):
    context = _wizard_context(req, step)
    context.update(extra)
    return render_portal(request, "portal/wizard.html", context, status=status)


def _step_details(request, req):
    initial = {"version": req.version, "kind": req.kind, "commit_sha": req.commit_sha}
    form = RequestDetailsForm(request.POST or None, initial=initial)
    status: list[int] = []
    if request.method == "POST" and form.is_valid():
        response = _save_draft(request, req, "details", form, status, **form.cleaned_data)
        if response:
            return response
    return _render_step(request, req, "details", status=(status or [200])[0], form=form)


def _step_checklist(request, req):
    guidelines = list(Guideline.objects.filter(active=True))
    initial = {"readme_confirmed": req.readme_confirmed}
    initial.update({f"g_{code}": answer for code, answer in (req.checklist or {}).items()})
    form = ChecklistForm(request.POST or None, guidelines=guidelines, initial=initial)
    status: list[int] = []
    if request.method == "POST" and form.is_valid():
        response = _save_draft(
            request,
            req,
            "checklist",
            form,
            status,
            readme_confirmed=form.cleaned_data["readme_confirmed"],
            checklist=form.checklist(),
        )
        if response:
            return response
    return _render_step(request, req, "checklist", status=(status or [200])[0], form=form)


def _step_documents(request, req):
    form = DocumentForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            document = services.document_add(
                request=req,
                actor=request.user,
                doc_type=form.cleaned_data["doc_type"],
                upload=form.cleaned_data["file"],
            )
        except ProgramError as exc:
            messages.error(request, exc.message)
            status = exc.status_code
        else:
            messages.success(request, f"Uploaded {document.original_name}.")
            return redirect(_step_url(req, "documents"))
    documents = list(req.documents.order_by("doc_type", "-version"))
    present = {d.doc_type for d in documents}
    required = [
        {"label": label, "present": value in present}
        for value, label in DocumentForm.base_fields["doc_type"].choices
        if value in req.required_documents()
    ]
    return _render_step(
        request, req, "documents", status=status, form=form, documents=documents, required=required
    )


def _step_environments(request, req):
    form = EnvironmentForm(request.POST if request.POST.get("action") != "delete" else None)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delete":
                environment = get_object_or_404(req.environments, pk=request.POST.get("env"))
                services.environment_delete(environment=environment, actor=request.user)
                messages.success(request, "Test access removed.")
                return redirect(_step_url(req, "environments"))
            if form.is_valid():
                services.environment_save(request=req, actor=request.user, **form.cleaned_data)
                messages.success(request, "Test access saved.")
                return redirect(_step_url(req, "environments"))
        except ProgramError as exc:
            messages.error(request, exc.message)
            status = exc.status_code
    return _render_step(
        request,
        req,
        "environments",
        status=status,
        form=form,
        environments=list(req.environments.all()),
    )


def _step_review(request, req, status=200):
    quota_use = KIND_QUOTA[req.kind]
    unmet = partner_services.eligibility_check(
        partner=req.integration.partner,
        quota_kind=None if quota_use == QuotaUse.NONE else quota_use,
    )
    return _render_step(
        request,
        req,
        "review",
        status=status,
        missing=req.missing_items() if req.state == RequestState.DRAFT else [],
        unmet=[{"message": u.message, "url": _fix_url(u.fix_url_name)} for u in unmet],
        can_submit=request.portal.allows(ADMIN, req.integration.partner_id),
        is_draft=req.state == RequestState.DRAFT,
    )


@require_POST
@portal_view
def request_submit(request, pk):
    req = _load_request(request, pk)
    require_role(request, ADMIN, req.integration.partner_id)
    try:
        services.request_submit(request=req, actor=request.user)
    except ProgramError as exc:
        messages.error(request, exc.message)
        return _step_review(request, req, status=exc.status_code)
    messages.success(request, "Submitted. The review team has been notified.")
    return redirect("portal:request_detail", req.pk)


# --- Request detail and its actions -------------------------------------------------------


def _detail_context(request, req, *, resubmit_form=None, reply_form=None, reply_for=None):
    partner_id = req.integration.partner_id
    findings = list(
        Finding.objects.filter(request=req)
        .select_related("guideline")
        .prefetch_related(
            Prefetch("replies", queryset=FindingReply.objects.select_related("author"))
        )
        .order_by("stage", "created_at", "pk")
    )
    can_reply = request.portal.allows(DEV, partner_id) and not req.is_final
    for finding in findings:
        bound = reply_form if reply_for == finding.pk else None
        finding.reply_form = bound or FindingReplyForm(auto_id=f"f{finding.pk}_%s")
    groups = [
        {"stage": stage_findings[0].get_stage_display(), "findings": stage_findings}
        for stage_findings in (list(items) for _, items in groupby(findings, key=lambda f: f.stage))
    ]
    available = {t.name for t in req.get_available_user_state_transitions(request.user)}
    certificate = Certificate.objects.filter(request=req).select_related("superseded_by").first()
    listing = (
        Listing.objects.filter(integration_id=req.integration_id)
        .select_related("certificate")
        .first()
    )
    timeline = list(selectors.timeline(req))
    for entry in timeline:
        entry.to_label = _state_label(entry.to_state)
    return {
        "req": req,
        "next_step": NEXT_STEP.get(req.state, ""),
        "sla": _sla_info(req),
        "timeline": timeline,
        "finding_groups": groups,
        "can_reply": can_reply,
        "can_edit": request.portal.allows(DEV, partner_id),
        "documents": list(req.documents.order_by("doc_type", "-version")),
        "environments": list(req.environments.all()),
        "can_resubmit": "resubmit" in available,
        "can_withdraw": "withdraw" in available,
        "resubmit_form": resubmit_form or ResubmitForm(),
        "certificate": certificate,
        "listing": listing,
        "editable_draft": req.state == RequestState.DRAFT,
    }


def _render_detail(request, req, status=200, **kwargs):
    return render_portal(
        request, "portal/request_detail.html", _detail_context(request, req, **kwargs), status
    )


@portal_page("portal-request")
def request_detail(request, pk):
    return _render_detail(request, _load_request(request, pk))


@require_POST
@portal_view
def request_resubmit(request, pk):
    req = _load_request(request, pk)
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
    req = _load_request(request, pk)
    require_role(request, ADMIN, req.integration.partner_id)
    try:
        services.request_transition(
            request=req,
            name="withdraw",
            actor=request.user,
            comment=request.POST.get("comment", "")[:2000],
        )
    except ProgramError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, req, status=exc.status_code)
    messages.success(request, "The request was withdrawn.")
    return redirect("portal:request_detail", req.pk)


@require_POST
@portal_view
def finding_reply(request, pk):
    finding = get_object_or_404(
        Finding.objects.filter(request__in=_requests(request).values("pk")).select_related(
            "request__integration"
        ),
        pk=pk,
    )
    req = _load_request(request, finding.request_id)
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


# --- Public verification -------------------------------------------------------------------


@login_not_required
@cached_view("verify", "verify")
def verify(request, code):
    certificate = selectors.certificate_by_code(code)
    if certificate is None:
        raise Http404("Unknown verification code")
    partner = certificate.request.integration.partner
    agreement = partner_selectors.agreement_in_force(partner=partner.pk)
    return render(
        request,
        "portal/verify.html",
        {
            "certificate": certificate,
            "partner": partner,
            "integration": certificate.request.integration,
            "agreement_active": agreement is not None,
            "expired": certificate.valid_until < timezone.localdate(),
        },
    )
