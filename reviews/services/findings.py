"""Findings and their threads: reviewers record them; partners answer, mark them addressed
or dispute them; reviewers ask questions, keep internal notes, verify and decide disputes.
A stage cannot pass while any of its findings is open or addressed-unverified (an open
dispute keeps it open)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from certifications import permissions as cert_perms
from certifications.enums import RequestState
from certifications.models import CertificationRequest, Guideline
from certportal import roles
from certportal.errors import ProgramError
from certportal.links import link
from certportal.outbox import notify
from partners import services as partner_services
from reviews.enums import (
    BLOCKING_STATUSES,
    DisputeState,
    FindingStage,
    FindingStatus,
    ReplyKind,
)
from reviews.models import Finding, FindingReply
from reviews.webhook_events import finding_event

STAGE_FOR_STATE = {
    RequestState.SUBMITTED: FindingStage.INTAKE,
    RequestState.USER_TESTING: FindingStage.USER_TESTING,
    RequestState.CODE_REVIEW: FindingStage.CODE_REVIEW,
    RequestState.DOCUMENTATION_REVIEW: FindingStage.DOCUMENTATION,
}


class ReviewError(ProgramError):
    """A review rule refused the action."""


def finding_add(
    *,
    request: CertificationRequest,
    actor: Any,
    category: str,
    severity: str,
    title: str,
    reviewer_note: str,
    guideline: Guideline | None = None,
    stage: str | None = None,
) -> Finding:
    if not cert_perms.is_assigned_reviewer(request, actor):
        raise ReviewError("Only the assigned reviewer records findings.", code="not_allowed")
    stage = stage or STAGE_FOR_STATE.get(request.state)
    if stage is None:
        raise ReviewError(
            "Findings are recorded during intake, user testing or code review.", code="wrong_state"
        )
    with transaction.atomic():
        finding = Finding.objects.create(
            request=request,
            stage=stage,
            guideline=guideline,
            category=category,
            severity=severity,
            title=title,
            reviewer_note=reviewer_note,
            created_by=actor,
        )
        finding_event(finding, event="finding.added")
        notify(
            recipients=partner_services.partner_members(request.integration.partner_id),
            event="finding_added",
            subject=f"New finding on {request.integration} {request.version}: {title}",
            context={"request": request, "finding": finding, "message": reviewer_note},
            link=link("portal:request_detail", request.pk),
            critical=False,
        )
    return finding


def _partner_recipients(request: CertificationRequest) -> list[Any]:
    return partner_services.partner_members(request.integration.partner_id)


def _notify_thread(
    *, finding: Finding, request: CertificationRequest, recipients: list[Any], body: str, what: str
) -> None:
    notify(
        recipients=recipients,
        event="finding_answered",
        subject=f"{what} on finding “{finding.title}” ({request.integration} {request.version})",
        context={"request": request, "finding": finding, "message": body},
        link=link("portal:request_detail", request.pk),
        critical=False,
    )


def _lock_finding(finding: Finding) -> Finding:
    return (
        Finding.objects.select_for_update()
        .select_related("request__integration")
        .get(pk=finding.pk)
    )


def finding_reply(
    *,
    finding: Finding,
    actor: Any,
    body: str,
    mark_addressed: bool = False,
    question: bool = False,
) -> FindingReply:
    """A reply on a finding's thread, by the partner (an editor) or the assigned reviewer;
    the other side is notified. The partner may mark an open finding addressed with it; a
    reviewer's `question` asks the partner something without changing any state. For a
    note the partner must never see, use `finding_note_internal`."""
    request = finding.request
    partner_side = cert_perms.is_request_partner_editor(request, actor)
    if not (partner_side or cert_perms.is_assigned_reviewer(request, actor)):
        raise ReviewError("Your role cannot answer findings.", code="not_allowed")
    if not body.strip():
        raise ReviewError("Write a reply.")
    kind = ReplyKind.QUESTION if question and not partner_side else ReplyKind.REPLY
    with transaction.atomic():
        locked = _lock_finding(finding)
        reply = FindingReply.objects.create(finding=locked, author=actor, body=body, kind=kind)
        if mark_addressed and partner_side:
            if locked.status != FindingStatus.OPEN:
                raise ReviewError("Only open findings can be marked addressed.", code="wrong_state")
            locked.status = FindingStatus.ADDRESSED
            locked.save(update_fields=["status", "updated_at"])
        finding_event(locked, event="finding.updated", reply_id=reply.pk)
        recipients = (
            [request.assigned_reviewer]
            if partner_side and request.assigned_reviewer_id
            else []
            if partner_side
            else _partner_recipients(request)
        )
        what = "A question from the reviewer" if kind == ReplyKind.QUESTION else "Reply"
        _notify_thread(finding=locked, request=request, recipients=recipients, body=body, what=what)
    return reply


def finding_note_internal(*, finding: Finding, actor: Any, body: str) -> FindingReply:
    """A reviewers-only note on a finding's thread. It is stored with `internal=True`,
    notifies nobody, and every partner-facing read (`reviews.selectors.partner_replies`,
    the portal pages, e-mails, the API) leaves it out."""
    if not roles.is_reviewer(actor) and not roles.is_partner_manager(actor):
        raise ReviewError("Only vendor reviewers write internal notes.", code="not_allowed")
    if not body.strip():
        raise ReviewError("Write the note.")
    with transaction.atomic():
        locked = _lock_finding(finding)
        return FindingReply.objects.create(
            finding=locked, author=actor, body=body, kind=ReplyKind.INTERNAL, internal=True
        )


def finding_dispute(*, finding: Finding, actor: Any, reason: str) -> FindingReply:
    """The partner disputes a finding: "not a defect, because …" (the program's
    false-positive path). The finding keeps blocking its stage until the assigned reviewer
    accepts (it becomes "not a defect") or rejects the dispute, with a reason; the
    reviewer is notified. One open dispute per finding; a rejected one may be disputed
    again with a new reason."""
    request = finding.request
    if not cert_perms.is_request_partner_editor(request, actor):
        raise ReviewError(
            "Only the partner's admins and developers dispute findings.", code="not_allowed"
        )
    if not reason.strip():
        raise ReviewError("Explain why this is not a defect.")
    with transaction.atomic():
        locked = _lock_finding(finding)
        if locked.status not in BLOCKING_STATUSES:
            raise ReviewError(
                "Only open or addressed findings can be disputed.", code="wrong_state"
            )
        if locked.dispute_state == DisputeState.OPEN:
            raise ReviewError(
                "This finding is already disputed: wait for the reviewer's answer.",
                code="wrong_state",
            )
        reply = FindingReply.objects.create(
            finding=locked, author=actor, body=reason, kind=ReplyKind.DISPUTE
        )
        locked.dispute_state = DisputeState.OPEN
        locked.save(update_fields=["dispute_state", "updated_at"])
        finding_event(locked, event="finding.updated", reply_id=reply.pk)
        _notify_thread(
            finding=locked,
            request=request,
            recipients=[request.assigned_reviewer] if request.assigned_reviewer_id else [],
            body=reason,
            what="The partner disputed",
        )
    return reply


def finding_dispute_decide(
    *, finding: Finding, actor: Any, accept: bool, reason: str
) -> FindingReply:
    """The assigned reviewer answers an open dispute, with a reason the partner reads.
    Accepted: the finding is "not a defect" and stops blocking its stage. Rejected: it
    stays open (blocking) and the partner fixes it or disputes again."""
    request = finding.request
    if not cert_perms.is_assigned_reviewer(request, actor):
        raise ReviewError("Only the assigned reviewer decides disputes.", code="not_allowed")
    if not reason.strip():
        raise ReviewError("Give the partner the reason for your decision.")
    with transaction.atomic():
        locked = _lock_finding(finding)
        if locked.dispute_state != DisputeState.OPEN:
            raise ReviewError("This finding has no open dispute.", code="wrong_state")
        kind = ReplyKind.DISPUTE_ACCEPTED if accept else ReplyKind.DISPUTE_REJECTED
        reply = FindingReply.objects.create(finding=locked, author=actor, body=reason, kind=kind)
        locked.dispute_state = DisputeState.ACCEPTED if accept else DisputeState.REJECTED
        locked.status = FindingStatus.DISMISSED if accept else FindingStatus.OPEN
        locked.save(update_fields=["dispute_state", "status", "updated_at"])
        finding_event(locked, event="finding.updated", reply_id=reply.pk)
        _notify_thread(
            finding=locked,
            request=request,
            recipients=_partner_recipients(request),
            body=reason,
            what="Dispute accepted" if accept else "Dispute rejected",
        )
    return reply


def finding_set_status(*, finding: Finding, actor: Any, status: str, note: str = "") -> Finding:
    """Reviewer verdicts: verified, won't fix, or reopen."""
    if not cert_perms.is_assigned_reviewer(finding.request, actor):
        raise ReviewError("Only the assigned reviewer verifies findings.", code="not_allowed")
    if status not in (FindingStatus.VERIFIED, FindingStatus.WONT_FIX, FindingStatus.OPEN):
        raise ReviewError("Unknown finding status.")
    with transaction.atomic():
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        if note:
            FindingReply.objects.create(finding=locked, author=actor, body=note)
        finding_event(locked, event="finding.updated")
    return locked
