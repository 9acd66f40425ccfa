"""Request transitions: each one locks the row, checks role, state and conditions, saves,
writes its log row, recomputes the SLA clock, and notifies after commit. What each adds
(`cr_pass` issues the certificate and `publish` the listing in the same transaction) is
its row in `transition_rules`. Also the one revocation rule (`seal_revoke`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from certifications import permissions as perms
from certifications import sla, webhook_events
from certifications.enums import BLOCKING_FINDING_STATUSES, KIND_QUOTA, QuotaUse, RequestState
from certifications.models import (
    CertificationRequest,
    SealAction,
    TransitionLog,
)
from certifications.models.approvals import two_person_rule_on
from certifications.services import approvals
from certifications.services.common import CertificationError, request_link
from certifications.services.transition_rules import NO_RULE, TRANSITION_RULES
from certifications.signals import request_reviewer_changed, request_transitioned
from certportal import fsm, roles
from certportal.fsm import fire
from certportal.links import absolute_url, link
from certportal.outbox import notify
from partners import selectors as partner_selectors
from partners import services as partner_services
from partners.models import Agreement


def _log_and_refresh(
    request: CertificationRequest,
    *,
    actor: Any,
    transition: str,
    from_state: str,
    comment: str,
    at: dt.datetime,
) -> None:
    """Write the transition's one immutable log row, recompute the SLA clock from the log
    (the log is its source), and announce the transition only after commit so receivers
    (GitHub access sync, reminders) never see a state that was rolled back."""
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
    webhook_events.request_state_changed(
        request, transition=transition, from_state=from_state, comment=comment, at=at
    )
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
    """The partner's members and the assigned reviewer: everyone who follows the request."""
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
    "intake_docs_ok": "{r} entered documentation review",
    "docs_pass": "{r} is certified",
    "docs_changes": "{r}: changes requested after documentation review",
    "revoke": "{r}: the seal was revoked",
}
COMMENT_REQUIRED = {"intake_incomplete", "ut_changes", "cr_changes", "reject", "hold", "revoke"}
COMMENT_REQUIRED |= {"docs_changes"}


# "Changes requested" e-mails list the findings still open, with their guideline codes.
CHANGES_TRANSITIONS = ("intake_incomplete", "ut_changes", "cr_changes", "docs_changes")


def _open_findings_for_email(request: CertificationRequest) -> list[dict[str, str]]:
    """The request's open findings as an e-mail lists them: guideline code, title, severity
    and an absolute link to the finding's thread."""
    rows = (
        request.findings.filter(status__in=BLOCKING_FINDING_STATUSES)
        .select_related("guideline")
        .order_by("created_at", "pk")
    )
    return [
        {
            "code": f.guideline.code if f.guideline_id else "",
            "guideline": f.guideline.title if f.guideline_id else "",
            "title": f.title,
            "severity": f.get_severity_display(),
            "stage": f.get_stage_display(),
            "url": absolute_url(link("portal:finding_thread", f.pk)),
        }
        for f in rows
    ]


def _notify_transition(
    request: CertificationRequest, name: str, comment: str, actor: Any = None
) -> None:
    subject = EVENT_SUBJECTS[name]
    if name == "resubmit" and request.state == RequestState.DOCUMENTATION_REVIEW:
        subject = "{r} was resubmitted and is back in documentation review"
    context = {"request": request, "message": comment, "state": request.get_state_display()}
    if name in CHANGES_TRANSITIONS:
        context["findings"] = _open_findings_for_email(request)
    notify(
        recipients=_recipients(request),
        event=f"request_{name}",
        subject=subject.format(r=f"{request.integration} {request.version}"),
        context=context,
        link=request_link(request),
        critical=name not in ("intake_ok", "ut_pass", "resume", "intake_docs_ok"),
        actor=actor,
    )


def request_transition(
    *,
    request: CertificationRequest,
    name: str,
    actor: Any,
    comment: str = "",
    override_reason: str = "",
    **kwargs: Any,
) -> CertificationRequest:
    """Fire any request transition. `submit` is `request_submit` (it also spends quota);
    `revoke` is the revocation rule's (`seal_revoke`: with the two-person rule on, the
    first person's revoke records a pending revocation and returns the request unchanged; a
    different person's confirms it). Side effects in the same transaction: a withdrawal
    before user testing gives the quota back, `cr_pass` issues the certificate, `publish`
    creates the listing; everyone following the request is notified."""
    if name == "submit":
        return request_submit(request=request, actor=actor)
    if name == "revoke":
        seal_revoke(request=request, actor=actor, reason=comment)
        request.refresh_from_db()
        return request
    return transition_fire(
        request=request,
        name=name,
        actor=actor,
        comment=comment,
        override_reason=override_reason,
        **kwargs,
    )


def transition_fire(
    *,
    request: CertificationRequest,
    name: str,
    actor: Any,
    comment: str = "",
    override_reason: str = "",
    check_perm: bool = True,
    **kwargs: Any,
) -> CertificationRequest:
    """The body of `request_transition`, also for the revocation rule, which fires
    `revoke` here once both people acted (`check_perm=False`: it checked both roles).
    What each transition adds (its unmet message, arguments, guard, side effects) is its
    row of `TRANSITION_RULES`."""
    if name not in EVENT_SUBJECTS or name == "submit":
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
        rule = TRANSITION_RULES.get(name, NO_RULE)
        if rule.prepare is not None:
            rule.prepare(locked, kwargs, comment)
        if rule.takes_at:
            kwargs["at"] = now
        from_state = fire(
            locked,
            name,
            actor=actor,
            error=CertificationError,
            unmet=lambda: rule.unmet(locked),
            check_perm=check_perm,
            **kwargs,
        )
        if rule.guard is not None:
            comment = rule.guard(locked, actor=actor, reason=override_reason, comment=comment)
        _log_and_refresh(
            locked, actor=actor, transition=name, from_state=from_state, comment=comment, at=now
        )
        if rule.effects is not None:
            rule.effects(locked, actor=actor, comment=comment, at=now)
        _notify_transition(locked, name, comment, actor)
    return locked


def seal_revoke(
    *, request: CertificationRequest, actor: Any, reason: str
) -> approvals.SealApproval | None:
    """The one way a seal is revoked, whoever starts it (the request's back-office page,
    the manager's partner page, the `revoke` transition, the staff API). With the
    two-person rule on, the first person (the assigned reviewer or a manager) records a
    pending revocation with `reason`, which is returned; a different reviewer or manager
    confirms it (`seal_revoke_confirm`; revoking again while it is pending does the same,
    and the first reason stands) or withdraws it (`approvals.seal_revoke_withdraw`). With
    the rule off, the seal is revoked at once. Returns None once revoked."""
    reason = reason.strip()
    if not two_person_rule_on():
        transition_fire(request=request, name="revoke", actor=actor, comment=reason)
        return None
    with transaction.atomic():
        locked = (
            CertificationRequest.objects.select_for_update(of=("self",))
            .select_related("integration")
            .get(pk=request.pk)
        )
        live = approvals.pending_or_approved(locked, SealAction.REVOKE)
        if live is not None and live.pending:
            seal_revoke_confirm(approval=live, actor=actor)
            return None
        if not perms.is_reviewer_or_manager(locked, actor):
            raise CertificationError(
                "Only the assigned reviewer and partner managers revoke a seal.",
                code="not_allowed",
            )
        approvals.revocable(locked)
        if not reason:
            raise CertificationError(
                "Give the reason for revoking the seal (the verification page shows it)."
            )
        if live is not None:
            # Approved by a second person before revoking had one rule: that is the rule.
            transition_fire(request=locked, name="revoke", actor=actor, comment=reason)
            return None
        return approvals.revocation_ask(locked, actor=actor, reason=reason)


def seal_revoke_confirm(*, approval: approvals.SealApproval, actor: Any) -> CertificationRequest:
    """A different reviewer or manager confirms a pending revocation: the request moves to
    revoked at once, with the reason given when it was asked (the certificate stamped,
    `certificate.revoked` sent, the listing removed: `approvals.seal_revoked_effects`)."""
    with transaction.atomic():
        confirmed = approvals.revocation_approve(approval=approval, actor=actor)
        return transition_fire(
            request=confirmed.request,
            name="revoke",
            actor=actor,
            comment=confirmed.comment,
            check_perm=False,
        )


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
        # The role (the transition's permission) before the eligibility and quota reads.
        fsm.check(locked, "submit", actor=actor, error=CertificationError)
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
            check_perm=False,  # checked above, under the same lock
            at=now,
        )
        if quota_use != QuotaUse.NONE:
            partner_services.quota_consume(
                agreement=agreement, kind=quota_use, request_id=locked.pk, actor=actor
            )
        _log_and_refresh(
            locked, actor=actor, transition="submit", from_state=from_state, comment="", at=now
        )
        _notify_transition(locked, "submit", "", actor)
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
