"""The two-person rule for the seal, its records. Certifying: the assigned reviewer asks, a
second reviewer approves (or declines), and only then can the transition into `certified`
fire; the transition spends the approval. Revoking has one rule whoever starts it (the
request's back-office page, the manager's partner page, the `revoke` transition, the staff
API): `transitions.seal_revoke` records a pending revocation with its reason
(`revocation_ask`), a different reviewer or manager confirms it
(`transitions.seal_revoke_confirm`, which fires `revoke`) or it is withdrawn
(`seal_revoke_withdraw`); `seal_revoked_effects` are the transition's side effects. Each
step writes a timeline row. The rule is the transition condition
`certifications.models.two_person_rule(action)`; these services keep its record.
`SEAL_TWO_PERSON_RULE` (on by default) turns it off: then revoking takes one step."""

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
from certportal.audit import audit
from certportal.links import link
from certportal.outbox import notify
from certportal.people import display_name
from partners import selectors as partner_selectors

TWO_PERSON_UNMET = (
    "A second reviewer must approve the certification first: ask for a second approval."
)
TWO_PERSON_UNMET_REVOKE = (
    "Revoking the seal needs a second person: a different reviewer or manager confirms "
    "the pending revocation."
)
REVOKE_SAME_PERSON = (
    "You asked for this revocation: a different reviewer or manager must confirm it."
)

# The states each seal action starts from (the sources of its transitions): a new
# transition into `certified` (e.g. from documentation review) adds its source here.
SEAL_SOURCES = {
    SealAction.CERTIFY: (RequestState.CODE_REVIEW, RequestState.DOCUMENTATION_REVIEW),
    SealAction.REVOKE: (RequestState.CERTIFIED, RequestState.PUBLISHED),
}


def _name(user: Any) -> str:
    return display_name(user)


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


def _ask(
    locked: CertificationRequest,
    *,
    action: str,
    actor: Any,
    comment: str,
    log_name: str,
    log_comment: str,
) -> SealApproval:
    """A new pending ask of `action` on `locked` (its row lock held), with its timeline row."""
    approval = SealApproval.objects.create(
        request=locked,
        action=action,
        commit_sha=locked.commit_sha,
        requested_by=actor,
        requested_at=timezone.now(),
        comment=comment,
    )
    _log(locked, actor=actor, name=log_name, comment=log_comment)
    return approval


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


def certify_approval_request(
    *,
    request: CertificationRequest,
    actor: Any,
    comment: str = "",
) -> SealApproval:
    """The assigned reviewer asks a second reviewer to approve certifying the request's
    current commit; other reviewers are notified. (Revoking: `transitions.seal_revoke`;
    `services.seal_approval_request` routes both.)"""
    action = SealAction.CERTIFY
    if not two_person_rule_on():
        raise CertificationError("The two-person rule is off: no approval is needed.")
    if not perms.is_assigned_reviewer(request, actor):
        raise CertificationError(
            "Only the assigned reviewer asks for approval to certify.", code="not_allowed"
        )
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
        approval = _ask(
            locked,
            action=action,
            actor=actor,
            comment=comment,
            log_name=f"{action}_approval_asked",
            log_comment=f"{_name(actor)} asked a second reviewer to approve: {action}"
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


def certify_approval_decide(
    *, approval: SealApproval, actor: Any, approve: bool, comment: str = ""
) -> SealApproval:
    """A second reviewer approves or declines an ask to certify. The reviewer who asked,
    and the request's assigned reviewer, can never approve it: that is the rule. A decline
    needs a reason; it is written to the timeline either way."""
    if approval.action != SealAction.CERTIFY:
        raise CertificationError("Confirm or withdraw a revocation instead.", code="wrong_state")
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


def takes_part_in_revocation(actor: Any) -> bool:
    """Who may confirm or withdraw a pending revocation: any reviewer or partner manager
    (who asks must be the assigned reviewer or a manager: the `revoke` transition's role)."""
    return roles.is_reviewer(actor) or roles.is_partner_manager(actor)


def revocable(request: CertificationRequest) -> None:
    """Refuse unless the request holds a seal to revoke (certified or published)."""
    if request.state not in SEAL_SOURCES[SealAction.REVOKE]:
        raise CertificationError(
            f"Cannot revoke the seal of a request that is {request.get_state_display().lower()}.",
            code="wrong_state",
        )


def revocation_ask(locked: CertificationRequest, *, actor: Any, reason: str) -> SealApproval:
    """Record a pending revocation of `locked` (the caller holds its row lock and checked
    the role, the state and that none is pending): a timeline row, an audit row, and a
    notification to the reviewers and partner managers after commit."""
    approval = _ask(
        locked,
        action=SealAction.REVOKE,
        actor=actor,
        comment=reason,
        log_name="revoke_asked",
        log_comment=f"{_name(actor)} asked to revoke the seal: {reason}",
    )
    audit(
        actor=actor,
        action="certificate.revoke_asked",
        obj=locked,
        partner_id=locked.integration.partner_id,
        comment=reason,
    )
    notify(
        recipients=[*roles.staff_in(roles.REVIEWER), *partner_selectors.partner_managers()],
        event="seal_revoke_asked",
        subject=f"A revocation to confirm: {locked}",
        context={"request": locked, "message": reason},
        link=link("admin:certifications_certificationrequest_change", locked.pk),
        critical=False,
        actor=actor,
    )
    return approval


def revocation_approve(*, approval: SealApproval, actor: Any) -> SealApproval:
    """Mark a pending revocation confirmed by `actor` (in the caller's transaction, which
    then fires `revoke`). The person who asked can never confirm it: that is the rule."""
    if not takes_part_in_revocation(actor):
        raise CertificationError(
            "Only reviewers and partner managers confirm a revocation.", code="not_allowed"
        )
    locked = (
        SealApproval.objects.select_for_update(of=("self",))
        .select_related("request")
        .get(pk=approval.pk, action=SealAction.REVOKE)
    )
    if actor.pk == locked.requested_by_id:
        raise CertificationError(REVOKE_SAME_PERSON, code="not_allowed")
    if not locked.pending:
        raise CertificationError(
            "This revocation was already confirmed or withdrawn.", code="wrong_state"
        )
    revocable(locked.request)
    locked.approved, locked.decided_by, locked.decided_at = True, actor, timezone.now()
    locked.save(update_fields=["approved", "decided_by", "decided_at"])
    return locked


def seal_revoke_withdraw(*, approval: SealApproval, actor: Any, comment: str = "") -> SealApproval:
    """Withdraw a pending revocation: the person who asked, or another reviewer or manager
    (who says why, for the person who asked). The seal stays valid; a timeline row says
    who withdrew it."""
    if not (takes_part_in_revocation(actor) or actor.pk == approval.requested_by_id):
        raise CertificationError(
            "Only reviewers and partner managers withdraw a revocation.", code="not_allowed"
        )
    with transaction.atomic():
        locked = (
            SealApproval.objects.select_for_update(of=("self",))
            .select_related("request", "requested_by")
            .get(pk=approval.pk, action=SealAction.REVOKE)
        )
        if not locked.pending:
            raise CertificationError(
                "This revocation was already confirmed or withdrawn.", code="wrong_state"
            )
        own = actor.pk == locked.requested_by_id
        if not own and not comment.strip():
            raise CertificationError("Say why you withdraw it, for the person who asked.")
        locked.approved, locked.decided_by, locked.decided_at = False, actor, timezone.now()
        if comment.strip():
            locked.comment = (locked.comment + "\nWithdrawn: " + comment.strip())[:2000]
        locked.save(update_fields=["approved", "decided_by", "decided_at", "comment"])
        _log(
            locked.request,
            actor=actor,
            name="revoke_withdrawn",
            comment=f"{_name(actor)} withdrew the pending revocation"
            + (f": {comment.strip()}" if comment.strip() else "."),
        )
        if not own and locked.requested_by_id:
            notify(
                recipients=[locked.requested_by],
                event="seal_revoke_withdrawn",
                subject=f"Revocation withdrawn: {locked.request}",
                context={"request": locked.request, "message": comment.strip()},
                link=link("admin:certifications_certificationrequest_change", locked.request_id),
                critical=False,
            )
    return locked


def seal_revoked_effects(
    request: CertificationRequest, *, at: dt.datetime, actor: Any = None, reason: str = ""
) -> None:
    """The `revoke` transition's side effects (in its transaction), the same whoever
    revoked: each of the version's unrevoked seals is stamped revoked (at, by, why: the
    public verification page, JSON and badge say so), announced once to the partner's
    webhooks as `certificate.revoked`, audited, and the partner managers are told; the
    integration's listing comes off the marketplace when it shows this seal."""
    from certifications.models import Certificate, Listing

    revoked = list(
        Certificate.objects.select_for_update()
        .select_related("request__integration")
        .filter(request=request, revoked_at__isnull=True)
    )
    reason = reason.strip()
    for certificate in revoked:
        certificate.revoked_at, certificate.revoked_by = at, actor
        certificate.revoked_reason = reason
        certificate.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
        webhook_events.certificate_revoked(certificate, reason=reason)
        audit(
            actor=actor,
            action="certificate.revoke",
            obj=certificate,
            partner_id=request.integration.partner_id,
            comment=reason,
        )
    Listing.objects.filter(
        integration_id=request.integration_id, certificate__request=request
    ).delete()
    if revoked:
        notify(
            recipients=partner_selectors.partner_managers(),
            event="certificate_revoked",
            subject=f"The certificate of {request.integration} {request.version} was revoked",
            context={"message": reason},
            link=link("portal:verify", revoked[0].verification_code),
            actor=actor,
        )
