"""The two-person rule for the seal: the assigned reviewer asks, a second reviewer
approves (or declines), and only then can the transition into `certified` (or revoke) fire;
the transition spends the approval. Each step writes a timeline row. The rule is the
transition condition `certifications.models.two_person_rule(action)`; these services keep
its record. `SEAL_TWO_PERSON_RULE` (on by default) turns it off."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from certifications import permissions as perms
from certifications import webhook_events
from certifications.enums import RequestState
from certifications.models import (
    CertificationRequest,
    SealAction,
    SealApproval,
    TransitionLog,
)
from certifications.models.approvals import two_person_rule_on
from certifications.services.common import CertificationError
from certportal import roles
from certportal.links import link
from certportal.outbox import notify

TWO_PERSON_UNMET = (
    "A second reviewer must approve the certification first: ask for a second approval."
)
TWO_PERSON_UNMET_REVOKE = (
    "A second reviewer must approve revoking the seal first: ask for a second approval."
)

# The states each seal action starts from (the sources of its transitions): a new
# transition into `certified` (e.g. from documentation review) adds its source here.
SEAL_SOURCES = {
    SealAction.CERTIFY: (RequestState.CODE_REVIEW, RequestState.DOCUMENTATION_REVIEW),
    SealAction.REVOKE: (RequestState.CERTIFIED, RequestState.PUBLISHED),
}


def _name(user: Any) -> str:
    return user.get_full_name() or user.username


def _log(request: CertificationRequest, *, actor: Any, name: str, comment: str) -> None:
    TransitionLog.objects.create(
        request=request,
        actor=actor,
        transition=name,
        from_state=request.state,
        to_state=request.state,
        comment=comment[:2000],
        at=timezone.now(),
    )


def pending_or_approved(request: CertificationRequest, action: str) -> SealApproval | None:
    """The live ask for `action` on the request's current commit (pending or approved and
    not yet spent), if any."""
    return (
        SealApproval.objects.filter(
            request=request,
            action=action,
            commit_sha=request.commit_sha,
            used_at__isnull=True,
        )
        .exclude(approved=False)
        .select_related("requested_by", "decided_by")
        .first()
    )


def seal_approval_request(
    *,
    request: CertificationRequest,
    actor: Any,
    action: str = SealAction.CERTIFY,
    comment: str = "",
) -> SealApproval:
    """The assigned reviewer asks a second reviewer to approve certifying (or revoking)
    the request's current commit. Other reviewers are notified."""
    if not two_person_rule_on():
        raise CertificationError("The two-person rule is off: no approval is needed.")
    if action == SealAction.CERTIFY and not perms.is_assigned_reviewer(request, actor):
        raise CertificationError(
            "Only the assigned reviewer asks for approval to certify.", code="not_allowed"
        )
    if action == SealAction.REVOKE and not perms.is_reviewer_or_manager(request, actor):
        raise CertificationError("Only reviewers and managers ask to revoke.", code="not_allowed")
    with transaction.atomic():
        locked = CertificationRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if locked.state not in SEAL_SOURCES[action]:
            raise CertificationError(
                f"Cannot ask to {action} a request that is {locked.get_state_display().lower()}.",
                code="wrong_state",
            )
        existing = pending_or_approved(locked, action)
        if existing is not None:
            return existing
        approval = SealApproval.objects.create(
            request=locked,
            action=action,
            commit_sha=locked.commit_sha,
            requested_by=actor,
            requested_at=timezone.now(),
            comment=comment,
        )
        _log(
            locked,
            actor=actor,
            name=f"{action}_approval_asked",
            comment=f"{_name(actor)} asked a second reviewer to approve: {action}"
            + (f". {comment}" if comment else "."),
        )
        notify(
            recipients=[u for u in roles.staff_in(roles.REVIEWER) if u.pk != actor.pk],
            event="seal_approval_asked",
            subject=f"Second approval wanted ({action}): {locked}",
            context={"request": locked, "message": comment},
            link=link("admin:certifications_certificationrequest_change", locked.pk),
            critical=False,
        )
    return approval


def seal_approval_decide(
    *, approval: SealApproval, actor: Any, approve: bool, comment: str = ""
) -> SealApproval:
    """A second reviewer approves or declines an ask. The reviewer who asked, and the
    request's assigned reviewer, can never approve it: that is the rule. A decline needs
    a reason; it is written to the timeline either way."""
    if not roles.is_reviewer(actor):
        raise CertificationError("Only reviewers give the second approval.", code="not_allowed")
    with transaction.atomic():
        locked = (
            SealApproval.objects.select_for_update().select_related("request").get(pk=approval.pk)
        )
        request = locked.request
        if actor.pk in (locked.requested_by_id, request.assigned_reviewer_id):
            raise CertificationError(
                "You cannot approve your own certification: a second reviewer must.",
                code="not_allowed",
            )
        if not locked.pending:
            raise CertificationError("This approval was already answered.", code="wrong_state")
        if locked.commit_sha != request.commit_sha:
            raise CertificationError(
                "The request has a new commit since this was asked: ask again.",
                code="wrong_state",
            )
        if not approve and not comment.strip():
            raise CertificationError("Say why you decline, for the reviewer who asked.")
        locked.approved = approve
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        if comment:
            locked.comment = (locked.comment + "\n" + comment).strip()[:2000]
        locked.save()
        verb = "approved" if approve else "declined"
        _log(
            request,
            actor=actor,
            name=f"{locked.action}_approval_{verb}",
            comment=f"Second approval {verb} by {_name(actor)}: {locked.action}"
            + (f". {comment}" if comment else "."),
        )
        if locked.requested_by_id:
            notify(
                recipients=[locked.requested_by],
                event="seal_approval_decided",
                subject=f"Second approval {verb} ({locked.action}): {request}",
                context={"request": request, "message": comment},
                link=link("admin:certifications_certificationrequest_change", request.pk),
                critical=False,
            )
    return locked


def seal_approval_spend(request: CertificationRequest, action: str, *, at: dt.datetime) -> None:
    """Mark the approval the transition just used as spent (call in the transition's
    transaction, after it fired): one approval allows one certification."""
    SealApproval.objects.filter(
        request=request,
        action=action,
        approved=True,
        used_at__isnull=True,
        commit_sha=request.commit_sha,
    ).update(used_at=at)


def seal_revoke(
    request: CertificationRequest, *, at: dt.datetime, actor: Any = None, reason: str = ""
) -> None:
    """The `revoke` transition's side effects (in its transaction): the version's seal is
    marked revoked (the public verification page says so) and the integration's listing
    comes off the marketplace when it shows this seal."""
    from certifications.models import Certificate, Listing

    revoked = list(
        Certificate.objects.select_for_update()
        .select_related("request__integration")
        .filter(request=request, revoked_at__isnull=True)
    )
    for certificate in revoked:
        certificate.revoked_at, certificate.revoked_by = at, actor
        certificate.revoked_reason = reason.strip()
        certificate.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
        webhook_events.certificate_revoked(certificate, reason=certificate.revoked_reason)
    Listing.objects.filter(
        integration_id=request.integration_id, certificate__request=request
    ).delete()
