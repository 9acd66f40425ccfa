"""Writes of the certifications app: integrations, the request package, and every request
transition (lock → role/state/condition check → save → log → SLA → notify after commit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from certifications import permissions as perms
from certifications import sla
from certifications.enums import (
    KIND_QUOTA,
    ChecklistAnswer,
    EnvironmentKind,
    QuotaUse,
    RequestKind,
    RequestState,
)
from certifications.models import (
    Certificate,
    CertificationRequest,
    CredentialReveal,
    Document,
    Guideline,
    Integration,
    Listing,
    TestEnvironment,
    TransitionLog,
)
from certifications.signals import request_reviewer_changed, request_transitioned
from certifications.updates import ChangeSize, deployment_slot, update_path
from certifications.uploads import check_upload
from certportal import roles
from certportal.errors import ProgramError
from certportal.fsm import fire
from certportal.links import link
from certportal.outbox import notify
from partners import permissions as partner_perms
from partners import selectors as partner_selectors
from partners import services as partner_services
from partners.models import Agreement

# full_clean must not touch relations or the protected state field.
CLEAN_EXCLUDE = ["integration", "update_of", "created_by", "assigned_reviewer", "state"]


class CertificationError(ProgramError):
    """A certification rule refused the action."""


def _request_link(request: CertificationRequest) -> str:
    return link("portal:request_detail", request.pk)


# --- Integrations --------------------------------------------------------------------------


def integration_save(
    *, partner_id: int, actor: Any, integration: Integration | None = None, **fields: Any
) -> Integration:
    """Register or edit an integration (partner admins and developers)."""
    if not partner_perms.is_partner_developer(actor, partner_id):
        raise CertificationError(
            "Viewers cannot register or edit integrations.", code="not_allowed"
        )
    obj = integration or Integration(partner_id=partner_id)
    if obj.partner_id != partner_id:
        raise CertificationError(
            "That integration belongs to another organisation.", code="not_allowed"
        )
    if integration is not None and fields.get("github_repo", obj.github_repo) != obj.github_repo:
        obj.github_repo_id = None  # a new repository must be verified again
    for key, value in fields.items():
        setattr(obj, key, value)
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise CertificationError("; ".join(exc.messages)) from exc
    obj.save()
    return obj


# --- Drafts and the package -------------------------------------------------------------------


def _require_editor(request: CertificationRequest, actor: Any) -> None:
    if not perms.is_request_partner_editor(request, actor):
        raise CertificationError(
            "Your role can read this request but not change it.", code="not_allowed"
        )
    if request.state != RequestState.DRAFT:
        raise CertificationError(
            f"Only a draft can be edited; this request is {request.get_state_display().lower()}.",
            code="wrong_state",
        )


def request_create(
    *,
    integration: Integration,
    actor: Any,
    version: str,
    kind: str = RequestKind.INITIAL,
    commit_sha: str = "",
    update_of: CertificationRequest | None = None,
    change_summary: str = "",
    vendor_side_change: bool = False,
) -> CertificationRequest:
    if not partner_perms.is_partner_developer(actor, integration.partner_id):
        raise CertificationError(
            "Viewers cannot start a certification request.", code="not_allowed"
        )
    request = CertificationRequest(
        integration=integration,
        version=version.strip(),
        kind=kind,
        commit_sha=commit_sha.strip().lower(),
        created_by=actor,
        update_of=update_of,
        change_summary=change_summary,
        vendor_side_change=vendor_side_change,
        sla_target_days=sla.target_days(kind),
    )
    try:
        request.full_clean(exclude=CLEAN_EXCLUDE)
    except ValidationError as exc:
        raise CertificationError("; ".join(exc.messages)) from exc
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:
        raise CertificationError(
            f"Version {version} of {integration} already has a request. Every version needs its own request.",
            code="conflict",
        ) from exc
    return request


def request_update_draft(
    *, request: CertificationRequest, actor: Any, **fields: Any
) -> CertificationRequest:
    """Save wizard fields on a draft (version, kind, commit, README confirmation, checklist)."""
    with transaction.atomic():
        locked = (
            CertificationRequest.objects.select_for_update()
            .select_related("integration")
            .get(pk=request.pk)
        )
        _require_editor(locked, actor)
        if "checklist" in fields:
            codes = set(Guideline.objects.filter(active=True).values_list("code", flat=True))
            extra = {k: v for k, v in (locked.checklist or {}).items() if k.startswith("_")}
            fields["checklist"] = {
                **extra,
                **{
                    code: answer
                    for code, answer in fields["checklist"].items()
                    if code in codes and answer in ChecklistAnswer.values
                },
            }
        if "commit_sha" in fields:
            fields["commit_sha"] = (fields["commit_sha"] or "").strip().lower()
        for key, value in fields.items():
            setattr(locked, key, value)
        if "kind" in fields:
            locked.sla_target_days = sla.target_days(locked.kind)
        try:
            locked.full_clean(exclude=CLEAN_EXCLUDE)
            locked.save()
        except ValidationError as exc:
            raise CertificationError("; ".join(exc.messages)) from exc
        except IntegrityError as exc:
            raise CertificationError(
                "That version already has a request.", code="conflict"
            ) from exc
    return locked


def document_add(
    *, request: CertificationRequest, actor: Any, doc_type: str, upload: UploadedFile
) -> Document:
    """Store a checked upload as the next version of this document type."""
    checked = check_upload(upload)
    with transaction.atomic():
        locked = (
            CertificationRequest.objects.select_for_update()
            .select_related("integration")
            .get(pk=request.pk)
        )
        if not (
            perms.is_request_partner_editor(locked, actor)
            and locked.state in (RequestState.DRAFT, RequestState.CHANGES_REQUESTED)
        ):
            if not perms.is_request_partner_editor(locked, actor):
                raise CertificationError("Your role cannot upload documents.", code="not_allowed")
            raise CertificationError(
                "Documents can be added while the request is a draft or changes are requested.",
                code="wrong_state",
            )
        version = (
            locked.documents.filter(doc_type=doc_type).aggregate(v=Max("version"))["v"] or 0
        ) + 1
        document = Document(
            request=locked,
            doc_type=doc_type,
            version=version,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        upload.seek(0)
        document.file.save(checked.name, upload, save=False)
        try:
            document.save()
        except Exception:
            document.file.delete(save=False)  # nothing stored for a refused or failed upload
            raise
    return document


def environment_save(
    *,
    request: CertificationRequest,
    actor: Any,
    environment: TestEnvironment | None = None,
    kind: str,
    url: str,
    username: str,
    password: str | None,
    notes: str = "",
) -> TestEnvironment:
    """Add or edit test access. A blank password on edit keeps the stored one."""
    with transaction.atomic():
        locked = (
            CertificationRequest.objects.select_for_update()
            .select_related("integration")
            .get(pk=request.pk)
        )
        if not perms.is_request_partner_editor(locked, actor):
            raise CertificationError("Your role cannot change test access.", code="not_allowed")
        if locked.state not in (RequestState.DRAFT, RequestState.CHANGES_REQUESTED):
            raise CertificationError(
                "Test access can be changed on drafts and when changes are requested.",
                code="wrong_state",
            )
        env = environment or TestEnvironment(request=locked)
        if env.request_id != locked.pk:
            raise CertificationError(
                "That test environment belongs to another request.", code="not_allowed"
            )
        env.kind = EnvironmentKind(kind)
        env.url, env.username, env.notes = url, username, notes
        if password:
            env.password = password
        elif environment is None:
            raise CertificationError("Enter the test account's password.")
        env.save()
    return env


def environment_delete(*, environment: TestEnvironment, actor: Any) -> None:
    request = environment.request
    if not perms.is_request_partner_editor(request, actor):
        raise CertificationError("Your role cannot change test access.", code="not_allowed")
    if request.state not in (RequestState.DRAFT, RequestState.CHANGES_REQUESTED):
        raise CertificationError(
            "Test access can be changed on drafts and when changes are requested.",
            code="wrong_state",
        )
    environment.delete()


def credential_reveal(*, environment: TestEnvironment, actor: Any, ip_address: str | None) -> str:
    """Decrypt a test-account password for the assigned reviewer, logging the reveal in the
    same transaction (no log row, no plaintext)."""
    request = environment.request
    if not perms.can_reveal_credentials(request, actor):
        raise CertificationError(
            "Only the assigned reviewer can reveal test credentials.", code="not_allowed"
        )
    with transaction.atomic():
        CredentialReveal.objects.create(environment=environment, user=actor, ip_address=ip_address)
        return environment.password.reveal()


# --- Transitions -----------------------------------------------------------------------------------


def _log_and_refresh(
    request: CertificationRequest,
    *,
    actor: Any,
    transition: str,
    from_state: str,
    comment: str,
    at: dt.datetime,
) -> None:
    TransitionLog.objects.create(
        request=request,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        transition=transition,
        from_state=from_state,
        to_state=request.state,
        comment=comment,
        at=at,
    )
    sla_refresh(request)
    request_id, to_state = request.pk, request.state
    transaction.on_commit(
        lambda: request_transitioned.send(
            sender=CertificationRequest,
            request_id=request_id,
            transition=transition,
            from_state=from_state,
            to_state=to_state,
        )
    )


def sla_refresh(request: CertificationRequest) -> None:
    """Recompute the SLA fields from the log (cheap: a handful of rows per request)."""
    entries = request.log.order_by("at", "id").values_list("to_state", "at")
    clock = sla.clock_from_log(entries, kind=request.kind)
    request.sla_target_days = clock.target_days
    request.sla_elapsed_seconds = clock.elapsed_seconds
    request.sla_running_since = clock.running_since
    request.sla_due_at = clock.due_at()
    request.save(
        update_fields=["sla_target_days", "sla_elapsed_seconds", "sla_running_since", "sla_due_at"]
    )


def _recipients(request: CertificationRequest) -> list[Any]:
    people = partner_services.partner_members(request.integration.partner_id)
    if request.assigned_reviewer_id:
        people.append(request.assigned_reviewer)
    return people


EVENT_SUBJECTS = {
    "submit": "{r} was submitted for certification",
    "intake_ok": "{r} entered user testing",
    "intake_incomplete": "{r}: the package is incomplete — changes requested",
    "ut_pass": "{r} passed user testing and entered code review",
    "ut_changes": "{r}: changes requested after user testing",
    "cr_pass": "{r} is certified",
    "cr_changes": "{r}: changes requested after code review",
    "resubmit": "{r} was resubmitted and is back in user testing",
    "publish": "{r} is published on the marketplace",
    "withdraw": "{r} was withdrawn",
    "reject": "{r} was rejected",
    "hold": "{r} is on hold",
    "resume": "{r} review resumed",
}
COMMENT_REQUIRED = {"intake_incomplete", "ut_changes", "cr_changes", "reject", "hold"}


def _notify_transition(request: CertificationRequest, name: str, comment: str) -> None:
    notify(
        recipients=_recipients(request),
        event=f"request_{name}",
        subject=EVENT_SUBJECTS[name].format(r=f"{request.integration} {request.version}"),
        context={"request": request, "message": comment, "state": request.get_state_display()},
        link=_request_link(request),
        critical=name not in ("intake_ok", "ut_pass", "resume"),
    )


def request_transition(
    *, request: CertificationRequest, name: str, actor: Any, comment: str = "", **kwargs: Any
) -> CertificationRequest:
    """Fire any request transition except submit (see `request_submit`)."""
    if name == "submit":
        return request_submit(request=request, actor=actor)
    if name not in EVENT_SUBJECTS:
        raise CertificationError(f"Unknown action {name!r}.")
    if name in COMMENT_REQUIRED and not comment.strip():
        raise CertificationError("Add a comment explaining this to the partner.")
    now = timezone.now()
    with transaction.atomic():
        locked = (
            CertificationRequest.objects.select_for_update(of=("self",))
            .select_related("integration", "assigned_reviewer")
            .get(pk=request.pk)
        )
        unmet = None
        if name in ("ut_pass", "cr_pass"):
            unmet = "Resolve or verify every open finding of this stage first."
        if name == "resubmit":
            kwargs.setdefault("commit_sha", locked.commit_sha)
            kwargs.setdefault("change_summary", comment)
            sha = (kwargs["commit_sha"] or "").strip().lower()
            if not sha or not all(c in "0123456789abcdef" for c in sha) or not 7 <= len(sha) <= 40:
                raise CertificationError("Enter the new commit SHA (7–40 hexadecimal characters).")
            kwargs["commit_sha"] = sha
        if name in ("cr_pass", "withdraw", "reject"):
            kwargs["at"] = now
        from_state = fire(
            locked, name, actor=actor, error=CertificationError, unmet=unmet, **kwargs
        )
        _log_and_refresh(
            locked, actor=actor, transition=name, from_state=from_state, comment=comment, at=now
        )
        if (
            name == "withdraw"
            and not locked.log.filter(to_state=RequestState.USER_TESTING).exists()
        ):
            partner_services.quota_refund(
                request_id=locked.pk, actor=actor, reason="Withdrawn before review started"
            )
        if name == "cr_pass":
            _issue_certificate(locked, at=now)
        if name == "publish":
            _publish_listing(locked, at=now)
        _notify_transition(locked, name, comment)
    return locked


def request_submit(*, request: CertificationRequest, actor: Any) -> CertificationRequest:
    """Submit a complete package: checks eligibility and consumes one quota unit of the
    agreement in force, holding the agreement row lock so concurrent submissions cannot
    overspend."""
    now = timezone.now()
    with transaction.atomic():
        locked = (
            CertificationRequest.objects.select_for_update(of=("self",))
            .select_related("integration__partner")
            .get(pk=request.pk)
        )
        if not perms.is_request_partner_admin(locked, actor):
            raise CertificationError(
                "Only your organisation's admins can submit.", code="not_allowed"
            )
        quota_use = KIND_QUOTA[locked.kind]
        partner = locked.integration.partner
        agreement = partner_selectors.agreement_in_force(partner=partner)
        if agreement is not None:
            agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        unmet = partner_services.eligibility_check(
            partner=partner, quota_kind=None if quota_use == QuotaUse.NONE else quota_use
        )
        if unmet:
            raise CertificationError(" ".join(u.message for u in unmet), code="unmet")
        missing = locked.missing_items()
        from_state = fire(
            locked,
            "submit",
            actor=actor,
            error=CertificationError,
            unmet="The package is not complete: " + " ".join(missing),
            at=now,
        )
        if quota_use != QuotaUse.NONE:
            partner_services.quota_consume(
                agreement=agreement, kind=quota_use, request_id=locked.pk, actor=actor
            )
        _log_and_refresh(
            locked, actor=actor, transition="submit", from_state=from_state, comment="", at=now
        )
        _notify_transition(locked, "submit", "")
        notify(
            recipients=roles.staff_in(roles.REVIEWER) if not locked.assigned_reviewer_id else [],
            event="request_new_in_queue",
            subject=f"New in the review queue: {locked.integration} {locked.version}",
            context={"request": locked},
            link=link("admin:certifications_certificationrequest_change", locked.pk),
            critical=False,
        )
    return locked


def request_assign(
    *, request: CertificationRequest, reviewer: Any, actor: Any
) -> CertificationRequest:
    """Assign a reviewer: reviewers may claim for themselves; managers assign anyone."""
    if reviewer is not None and not roles.is_reviewer(reviewer):
        raise CertificationError(f"{reviewer} is not a reviewer.")
    is_self = reviewer is not None and actor.pk == reviewer.pk
    if not (
        roles.is_partner_manager(actor)
        or (roles.is_reviewer(actor) and (is_self or reviewer is None))
    ):
        raise CertificationError(
            "Only partner managers assign other reviewers.", code="not_allowed"
        )
    with transaction.atomic():
        locked = (
            CertificationRequest.objects.select_for_update(of=("self",))
            .select_related("integration")
            .get(pk=request.pk)
        )
        if locked.is_final or locked.state == RequestState.DRAFT:
            raise CertificationError("Only submitted requests can be assigned.", code="wrong_state")
        previous = locked.assigned_reviewer_id
        locked.assigned_reviewer = reviewer
        locked.save(update_fields=["assigned_reviewer", "updated_at"])
        TransitionLog.objects.create(
            request=locked,
            actor=actor,
            transition="assign",
            from_state=locked.state,
            to_state=locked.state,
            comment=f"Assigned to {reviewer.get_full_name() or reviewer.username}"
            if reviewer
            else "Unassigned",
            at=timezone.now(),
        )
        if reviewer is not None and reviewer.pk != actor.pk:
            notify(
                recipients=[reviewer],
                event="request_assigned",
                subject=f"You were assigned {locked.integration} {locked.version}",
                context={"request": locked},
                link=link("admin:certifications_certificationrequest_change", locked.pk),
            )
        if previous != locked.assigned_reviewer_id:
            rid = locked.pk
            transaction.on_commit(
                lambda: request_reviewer_changed.send(sender=CertificationRequest, request_id=rid)
            )
    return locked


def _issue_certificate(request: CertificationRequest, *, at: dt.datetime) -> Certificate:
    agreement = partner_selectors.agreement_in_force(
        partner=request.integration.partner_id, on=at.date()
    )
    valid_until = agreement.term_end if agreement else (at + dt.timedelta(days=365)).date()
    certificate = Certificate.objects.create(
        request=request,
        version=request.version,
        commit_sha=request.commit_sha,
        issued_at=at,
        valid_until=valid_until,
    )
    previous = Certificate.objects.filter(
        request__integration=request.integration, superseded_by__isnull=True
    ).exclude(pk=certificate.pk)
    previous.update(superseded_by=certificate)
    if request.update_of_id and request.integration.is_module:
        request.deployment_date = deployment_slot(at.date()).deploy_on
        request.save(update_fields=["deployment_date"])
    listing = Listing.objects.filter(integration=request.integration).first()
    if listing is not None:
        # A later certified version supersedes the earlier one on the listing.
        listing.certificate = certificate
        listing.save(update_fields=["certificate"])
    return certificate


def _publish_listing(request: CertificationRequest, *, at: dt.datetime) -> Listing:
    certificate = request.certificate
    listing, _ = Listing.objects.update_or_create(
        integration=request.integration,
        defaults={
            "certificate": certificate,
            "title": request.integration.name,
            "summary": request.integration.description or request.integration.name,
            "published_at": at,
        },
    )
    return listing


def request_start_update(
    *,
    certified: CertificationRequest,
    actor: Any,
    version: str,
    change: str,
    vendor_side_change: bool,
    change_summary: str,
    docs_to_update: list[str] | None = None,
) -> CertificationRequest:
    """Start an update of a certified integration from its last certified package: the
    update path decides kind and quota; documents are carried over and the ones that must
    change are flagged as required."""
    if not certified.is_certified:
        raise CertificationError("Updates start from a certified version.", code="wrong_state")
    if change not in (ChangeSize.MINOR, ChangeSize.MAJOR):
        raise CertificationError("Say whether this is a minor fix or a major change.")
    path = update_path(
        product_area=certified.integration.product_area,
        change=change,
        vendor_side_change=vendor_side_change,
    )
    with transaction.atomic():
        draft = request_create(
            integration=certified.integration,
            actor=actor,
            version=version,
            kind=path.kind,
            update_of=certified,
            change_summary=change_summary,
            vendor_side_change=vendor_side_change,
        )
        checklist = dict(certified.checklist or {})
        checklist["_docs_to_update"] = sorted(set(docs_to_update or []))
        draft.checklist = checklist
        draft.readme_confirmed = False
        draft.save(update_fields=["checklist", "readme_confirmed"])
        latest: dict[str, Document] = {}
        for doc in certified.documents.order_by("doc_type", "-version"):
            latest.setdefault(doc.doc_type, doc)
        flagged = set(draft.required_documents())
        for doc in latest.values():
            if doc.doc_type in flagged:
                continue  # must be uploaded anew
            Document.objects.create(
                request=draft,
                doc_type=doc.doc_type,
                version=1,
                file=doc.file.name,
                original_name=doc.original_name,
                content_type=doc.content_type,
                size=doc.size,
                sha256=doc.sha256,
                carried_over=True,
                uploaded_by=doc.uploaded_by,
            )
    return draft
