"""Findings: reviewers record them, partners answer and mark them addressed, reviewers
verify. A stage cannot pass while any of its findings is open or addressed-unverified."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from certifications import permissions as cert_perms
from certifications.enums import RequestState
from certifications.models import CertificationRequest, Guideline
from certportal.errors import ProgramError
from certportal.links import link
from certportal.outbox import notify
from partners import services as partner_services
from reviews.enums import FindingStage, FindingStatus
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


def finding_reply(
    *, finding: Finding, actor: Any, body: str, mark_addressed: bool = False
) -> FindingReply:
    request = finding.request
    partner_side = cert_perms.is_request_partner_editor(request, actor)
    if not (partner_side or cert_perms.is_assigned_reviewer(request, actor)):
        raise ReviewError("Your role cannot answer findings.", code="not_allowed")
    if not body.strip():
        raise ReviewError("Write a reply.")
    with transaction.atomic():
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        reply = FindingReply.objects.create(finding=locked, author=actor, body=body)
        if mark_addressed and partner_side:
            if locked.status != FindingStatus.OPEN:
                raise ReviewError("Only open findings can be marked addressed.", code="wrong_state")
            locked.status = FindingStatus.ADDRESSED
            locked.save(update_fields=["status", "updated_at"])
        finding_event(locked, event="finding.updated", reply_id=reply.pk)
        recipients = (
            [request.assigned_reviewer]
            if partner_side and request.assigned_reviewer_id
            else partner_services.partner_members(request.integration.partner_id)
        )
        notify(
            recipients=recipients,
            event="finding_answered",
            subject=f"Reply on finding “{locked.title}” ({request.integration} {request.version})",
            context={"request": request, "finding": locked, "message": body},
            link=link("portal:request_detail", request.pk),
            critical=False,
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
