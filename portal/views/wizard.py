"""The five-step submission wizard: version and commit, README and checklist, documents,
test access, review and submit."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from certifications import selectors, services
from certifications.enums import (
    KIND_QUOTA,
    PACKAGE_EDITABLE_STATES,
    EnvironmentKind,
    QuotaUse,
    RequestState,
)
from certifications.forms import (
    ChecklistForm,
    DocumentForm,
    EnvironmentForm,
    EnvironmentRemoveForm,
    RequestDetailsForm,
)
from certportal.errors import ProgramError
from partners import services as partner_services
from partners.enums import MemberRole
from portal.context import portal_view, render_portal, require_role
from portal.views.common import (
    load_request,
    scoped_integrations,
)
from portal.views.eligibility import way_out
from reviews.intake import selectors as intake_selectors

DEV, ADMIN = MemberRole.DEVELOPER, MemberRole.ADMIN


STEPS = [
    ("details", "Version and commit"),
    ("checklist", "README and checklist"),
    ("documents", "Documents"),
    ("environments", "Test access"),
    ("review", "Review and submit"),
]
STEP_NAMES = [name for name, _ in STEPS]
# Documents and test access may still change while changes are requested (the services
# enforce the same PACKAGE_EDITABLE_STATES); the other steps edit drafts only.
STEP_STATES = {
    "documents": PACKAGE_EDITABLE_STATES,
    "environments": PACKAGE_EDITABLE_STATES,
}


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
    integration = get_object_or_404(scoped_integrations(request), pk=pk)
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
    req = load_request(request, pk)
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
    guidelines = list(selectors.active_guidelines())
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
    documents = list(selectors.documents_of(req))
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
    remove = EnvironmentRemoveForm(request.POST or None)
    form = EnvironmentForm(None if remove.is_removal() else request.POST or None)
    status = 200
    if remove.is_removal() and not remove.is_valid():
        messages.error(request, "Choose the test access to remove.")
        status = 400
    elif request.method == "POST":
        try:
            if remove.is_removal():
                environment = get_object_or_404(
                    selectors.environments_of(req), pk=remove.cleaned_data["env"]
                )
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
    environments = list(selectors.environments_of(req))
    present = {e.kind for e in environments}
    return _render_step(
        request,
        req,
        "environments",
        status=status,
        form=form,
        environments=environments,
        required_access=[
            {"label": EnvironmentKind(kind).label, "present": kind in present}
            for kind in req.required_environments()
        ],
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
        unmet=[way_out(u, next_url=request.get_full_path()) for u in unmet],
        can_submit=request.portal.allows(ADMIN, req.integration.partner_id),
        kind_label=req.get_kind_display(),
        is_draft=req.state == RequestState.DRAFT,
        intake=intake_selectors.intake_panel(request=req, with_offer=True),
    )


@require_POST
@portal_view
def request_submit(request, pk):
    req = load_request(request, pk)
    require_role(request, ADMIN, req.integration.partner_id)
    try:
        services.request_submit(request=req, actor=request.user)
    except ProgramError as exc:
        messages.error(request, exc.message)
        return _step_review(request, req, status=exc.status_code)
    messages.success(request, "Submitted. The review team has been notified.")
    return redirect("portal:request_detail", req.pk)
