"""Certification requests: create a draft for a version and commit, update it, upload
documents, set test access (passwords write-only), fill the checklist, submit, withdraw,
resubmit with a change summary; status and timeline. Every write is one service call."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import File, Form, Router, Status, UploadedFile

from api.auth import Principal, principal_of
from api.pagination import DEFAULT_LIMIT, Cursor, Limit, page
from api.problems import ERRORS
from api.routers import findings
from api.routers.common import actor_name, integrations_of, load, requests_of
from api.schemas import (
    CertificateOut,
    ChecklistIn,
    DocumentOut,
    EnvironmentIn,
    EnvironmentOut,
    FindingOut,
    IntakeReportOut,
    RequestCreate,
    RequestDetail,
    RequestOut,
    RequestPage,
    RequestPatch,
    RequestStatus,
    ResubmitIn,
    TimelineEntry,
    WithdrawIn,
)
from certifications import selectors, services, sla
from certifications.enums import NEXT_STEP, DocumentType, RequestKind, RequestState
from reviews.intake import selectors as intake_selectors
from reviews.intake.rules import BLOCKER
from reviews.models import IntakeItemOutcome

router = Router()


def certificate_out(certificate) -> dict | None:
    if certificate is None:
        return None
    return {
        "id": certificate.pk,
        "request_id": certificate.request_id,
        "version": certificate.version,
        "commit_sha": certificate.commit_sha,
        "issued_at": certificate.issued_at,
        "valid_until": certificate.valid_until,
        "verification_code": certificate.verification_code,
        "verification_url": settings.SITE_URL
        + reverse("portal:verify", args=[certificate.verification_code]),
        "superseded_by_id": certificate.superseded_by_id,
    }


# The request's own columns the detail shows as they are.
PLAIN_FIELDS = (
    *(f for f in RequestOut.model_fields if f != "integration_name"),
    "readme_confirmed",
    "change_summary",
    "vendor_side_change",
)


def detail(req, p: Principal) -> dict:
    """A request with its package, what it still needs and what the caller may do next.
    A fixed number of queries whatever the package holds."""
    available = sorted(t.name for t in req.get_available_user_state_transitions(p.user))
    return {
        **{f: getattr(req, f) for f in PLAIN_FIELDS},
        "integration_name": req.integration.name,
        "checklist": {k: v for k, v in (req.checklist or {}).items() if not k.startswith("_")},
        "next_step": NEXT_STEP.get(req.state, ""),
        "missing_items": req.missing_items() if req.state == RequestState.DRAFT else [],
        "available_actions": available,
        "documents": list(selectors.documents_of(req)),
        "environments": list(selectors.environments_of(req)),
        "certificate": certificate_out(selectors.certificate_of(req)),
    }


def _fresh(p: Principal, request_id: int):
    return load(requests_of(p), request_id)


@router.get("", response={200: RequestPage, **ERRORS}, url_name="requests")
def request_list(
    request: HttpRequest,
    state: RequestState | None = None,
    kind: RequestKind | None = None,
    integration_id: int | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The organisation's requests, newest first, filtered by state, kind or integration."""
    qs = requests_of(principal_of(request))
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if integration_id is not None:
        qs = qs.filter(integration_id=integration_id)
    return page(qs, cursor=cursor, limit=limit)


@router.post("", response={201: RequestDetail, **ERRORS}, url_name="request_create")
def request_create(request: HttpRequest, payload: RequestCreate):
    """Start a draft for one version and commit of an integration."""
    p = principal_of(request)
    integration = load(integrations_of(p), payload.integration_id)
    req = services.request_create(
        integration=integration,
        actor=p.user,
        version=payload.version,
        kind=payload.kind,
        commit_sha=payload.commit_sha,
    )
    return Status(201, detail(_fresh(p, req.pk), p))


@router.get("/{int:request_id}", response={200: RequestDetail, **ERRORS}, url_name="request")
def request_read(request: HttpRequest, request_id: int):
    p = principal_of(request)
    return detail(_fresh(p, request_id), p)


@router.patch(
    "/{int:request_id}", response={200: RequestDetail, **ERRORS}, url_name="request_update"
)
def request_update(request: HttpRequest, request_id: int, payload: RequestPatch):
    """Change a draft's version, kind, commit, README confirmation or change summary."""
    p = principal_of(request)
    req = _fresh(p, request_id)
    services.request_update_draft(request=req, actor=p.user, **payload.dict(exclude_none=True))
    return detail(_fresh(p, request_id), p)


@router.put(
    "/{int:request_id}/checklist", response={200: RequestDetail, **ERRORS}, url_name="checklist"
)
def checklist_fill(request: HttpRequest, request_id: int, payload: ChecklistIn):
    """Answer the guideline self-checklist (answers for unknown or retired guidelines are
    dropped; see GET /guidelines for the active ones)."""
    p = principal_of(request)
    req = _fresh(p, request_id)
    fields: dict = {"checklist": dict(payload.answers)}
    if payload.readme_confirmed is not None:
        fields["readme_confirmed"] = payload.readme_confirmed
    services.request_update_draft(request=req, actor=p.user, **fields)
    return detail(_fresh(p, request_id), p)


@router.post(
    "/{int:request_id}/documents", response={201: DocumentOut, **ERRORS}, url_name="documents"
)
def document_upload(
    request: HttpRequest,
    request_id: int,
    doc_type: Form[DocumentType],
    file: File[UploadedFile],
):
    """Upload a document (multipart/form-data: `doc_type`, `file`) as its next version."""
    p = principal_of(request)
    req = _fresh(p, request_id)
    return Status(
        201, services.document_add(request=req, actor=p.user, doc_type=doc_type, upload=file)
    )


@router.post(
    "/{int:request_id}/environments",
    response={201: EnvironmentOut, **ERRORS},
    url_name="environments",
)
def environment_add(request: HttpRequest, request_id: int, payload: EnvironmentIn):
    """Add test access. The password is stored encrypted and never returned."""
    p = principal_of(request)
    req = _fresh(p, request_id)
    return Status(201, services.environment_save(request=req, actor=p.user, **payload.dict()))


@router.put(
    "/{int:request_id}/environments/{int:environment_id}",
    response={200: EnvironmentOut, **ERRORS},
    url_name="environment",
)
def environment_update(
    request: HttpRequest, request_id: int, environment_id: int, payload: EnvironmentIn
):
    """Replace test access; an omitted password keeps the stored one."""
    p = principal_of(request)
    req = _fresh(p, request_id)
    environment = load(selectors.environments_of(req), environment_id)
    return services.environment_save(
        request=req, actor=p.user, environment=environment, **payload.dict()
    )


@router.delete(
    "/{int:request_id}/environments/{int:environment_id}",
    response={204: None, **ERRORS},
    url_name="environment_delete",
)
def environment_remove(request: HttpRequest, request_id: int, environment_id: int):
    p = principal_of(request)
    req = _fresh(p, request_id)
    environment = load(selectors.environments_of(req), environment_id)
    services.environment_delete(environment=environment, actor=p.user)
    return Status(204, None)


@router.post("/{int:request_id}/submit", response={200: RequestDetail, **ERRORS}, url_name="submit")
def request_submit(request: HttpRequest, request_id: int):
    """Submit the complete package (admins). 409 says what is missing or which rule
    (agreement, quota, standing) refused it."""
    p = principal_of(request)
    services.request_submit(request=_fresh(p, request_id), actor=p.user)
    return detail(_fresh(p, request_id), p)


@router.post(
    "/{int:request_id}/withdraw", response={200: RequestDetail, **ERRORS}, url_name="withdraw"
)
def request_withdraw(request: HttpRequest, request_id: int, payload: WithdrawIn):
    p = principal_of(request)
    services.request_transition(
        request=_fresh(p, request_id), name="withdraw", actor=p.user, comment=payload.comment
    )
    return detail(_fresh(p, request_id), p)


@router.post(
    "/{int:request_id}/resubmit", response={200: RequestDetail, **ERRORS}, url_name="resubmit"
)
def request_resubmit(request: HttpRequest, request_id: int, payload: ResubmitIn):
    """Resubmit after changes were requested, with the new commit and what changed."""
    p = principal_of(request)
    services.request_transition(
        request=_fresh(p, request_id),
        name="resubmit",
        actor=p.user,
        comment=payload.comment,
        commit_sha=payload.commit_sha,
        change_summary=payload.change_summary,
    )
    return detail(_fresh(p, request_id), p)


@router.get("/{int:request_id}/status", response={200: RequestStatus, **ERRORS}, url_name="status")
def request_status(request: HttpRequest, request_id: int):
    """State, next step, SLA clock and the whole timeline."""
    req = _fresh(principal_of(request), request_id)
    now = timezone.now()
    return {
        "id": req.pk,
        "state": req.state,
        "next_step": NEXT_STEP.get(req.state, ""),
        "sla_due_at": req.sla_due_at,
        "sla_status": sla.status(state=req.state, due_at=req.sla_due_at, now=now),
        "timeline": [
            TimelineEntry(
                transition=e.transition,
                from_state=e.from_state,
                to_state=e.to_state,
                comment=e.comment,
                at=e.at,
                actor=actor_name(e.actor),
            )
            for e in selectors.timeline(req)
        ],
    }


@router.get(
    "/{int:request_id}/certificate",
    response={200: CertificateOut, **ERRORS},
    url_name="request_certificate",
)
def request_certificate(request: HttpRequest, request_id: int):
    """The seal of a certified request (404 until it is certified)."""
    req = _fresh(principal_of(request), request_id)
    certificate = selectors.certificate_of(req)
    if certificate is None:
        raise Http404("Not certified")
    return certificate_out(certificate)


@router.get(
    "/{int:request_id}/intake-report",
    response={200: IntakeReportOut, **ERRORS},
    url_name="intake_report",
)
def request_intake_report(request: HttpRequest, request_id: int):
    """The automated intake report of the request's current commit and version (404 until
    one was asked for). A CI job fails when `blockers` is above zero."""
    req = _fresh(principal_of(request), request_id)
    report = intake_selectors.intake_report_for(request=req)
    if report is None:
        raise Http404("No intake report for this commit yet")
    items = [
        {
            "rule_id": i.rule_id,
            "guideline_code": i.guideline_code,
            "severity": i.severity,
            "outcome": i.outcome,
            "blocking": i.severity == BLOCKER and i.outcome == IntakeItemOutcome.FAIL,
            "path": i.path,
            "line": i.line,
            "excerpt": i.excerpt,
            "message": i.message,
        }
        for i in report.items.all()
    ]
    return {
        "commit_sha": report.commit_sha,
        "version": report.version,
        "status": report.status,
        "repo_private": report.repo_private,
        "files_total": report.files_total,
        "files_read": report.files_read,
        "limited": report.limited,
        "error": report.error,
        "finished_at": report.finished_at,
        "blockers": sum(item["blocking"] for item in items),
        "items": items,
    }


# A request's findings live with the request's URL; the handler is the findings router's.
router.get(
    "/{int:request_id}/findings",
    response={200: list[FindingOut], **ERRORS},
    url_name="request_findings",
    summary="List a request's findings",
)(findings.request_findings)
