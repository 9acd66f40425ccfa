"""Integrations and the request package: drafts, documents, test access and the reveal of
test credentials. Every edit of a request re-reads it under a row lock and checks its
state there, so it cannot race a submit or a transition."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max

from certifications import permissions as perms
from certifications import selectors, sla
from certifications.enums import ChecklistAnswer, EnvironmentKind, RequestKind, RequestState
from certifications.models import (
    CertificationRequest,
    CredentialReveal,
    Document,
    Integration,
    TestEnvironment,
    normalize_commit_sha,
)
from certifications.services.common import (
    CLEAN_EXCLUDE,
    CertificationError,
    lock_request_for_edit,
    require_package_editor,
)
from certifications.uploads import check_upload
from partners import permissions as partner_perms

TEST_ACCESS_NOT_ALLOWED = "Your role cannot change test access."
TEST_ACCESS_WRONG_STATE = "Test access can be changed on drafts and when changes are requested."


# --- Integrations --------------------------------------------------------------------------


def integration_save(
    *, partner_id: int, actor: Any, integration: Integration | None = None, **fields: Any
) -> Integration:
    """Register or edit an integration (partner admins and developers). Changing the
    repository forgets its verified GitHub id, so the new one is verified again."""
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
    """Start a draft for one version of an integration. The database allows one live
    request per version; a second one is refused as a conflict, not a 500."""
    if not partner_perms.is_partner_developer(actor, integration.partner_id):
        raise CertificationError(
            "Viewers cannot start a certification request.", code="not_allowed"
        )
    request = CertificationRequest(
        integration=integration,
        version=version.strip(),
        kind=kind,
        commit_sha=normalize_commit_sha(commit_sha),
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
    """Save wizard fields on a draft (version, kind, commit, README confirmation, checklist).
    Checklist answers are kept only for active guidelines; keys starting with "_" are the
    service's own bookkeeping (documents an update must replace) and survive the save."""
    with transaction.atomic():
        locked = lock_request_for_edit(request.pk)
        _require_editor(locked, actor)
        if "checklist" in fields:
            codes = set(selectors.active_guidelines().values_list("code", flat=True))
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
            fields["commit_sha"] = normalize_commit_sha(fields["commit_sha"])
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
    """Store a checked upload as the next version of this document type. Earlier versions
    stay: reviewers see what changed between submissions."""
    checked = check_upload(upload)
    with transaction.atomic():
        locked = lock_request_for_edit(request.pk)
        require_package_editor(
            locked,
            actor,
            not_allowed="Your role cannot upload documents.",
            wrong_state="Documents can be added while the request is a draft or changes are requested.",
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
    """Add or edit test access. A blank password on edit keeps the stored one (the form
    never shows it back, so an edit without retyping it must not erase it)."""
    with transaction.atomic():
        locked = lock_request_for_edit(request.pk)
        require_package_editor(
            locked, actor, not_allowed=TEST_ACCESS_NOT_ALLOWED, wrong_state=TEST_ACCESS_WRONG_STATE
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
    """Remove test access. Like the other package edits it holds the request's row lock and
    checks the state under it: a delete racing a submit must not strip access from a
    package that has just been submitted as complete."""
    with transaction.atomic():
        locked = lock_request_for_edit(environment.request_id)
        require_package_editor(
            locked, actor, not_allowed=TEST_ACCESS_NOT_ALLOWED, wrong_state=TEST_ACCESS_WRONG_STATE
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
