"""Writes of program qualification: the business review and the support escalation plan.

Both are conditions of eligibility (see eligibility.py): a submission needs an approved
business review and a support plan on file."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from certportal import roles
from certportal.audit import audit
from certportal.fsm import fire
from certportal.links import link
from certportal.outbox import notify
from partners import permissions, selectors
from partners.enums import REVIEW_EDITABLE_STATES
from partners.models import BusinessReview, Partner, SupportPlan
from partners.services.errors import PartnerError


def business_review_save(
    *, partner: Partner, actor: Any, submit: bool = False, **fields: str
) -> BusinessReview:
    """Create or edit the draft (or returned) business review, and with `submit` send it
    for approval in the same transaction (a refused submission keeps nothing half-done).

    Only the organisation's admins write it, and only while it is a draft or returned:
    once submitted or approved it is what the partner team decides on. Side effects: the
    review row is locked and saved; nothing is audited or sent until it is submitted."""
    if not permissions.is_partner_admin(actor, partner.pk):
        raise PartnerError(
            "Only your organisation's admins edit the business review.", code="not_allowed"
        )
    with transaction.atomic():
        review = BusinessReview.objects.select_for_update().filter(partner=partner).first()
        if review is None:
            review = BusinessReview(partner=partner, **fields)
        elif review.state not in REVIEW_EDITABLE_STATES:
            raise PartnerError(
                "The business review is "
                f"{review.get_state_display().lower()} and can no longer be edited.",
                code="wrong_state",
            )
        else:
            for key, value in fields.items():
                setattr(review, key, value)
        review.save()
        if submit:
            review = business_review_submit(review=review, actor=actor)
    return review


def business_review_submit(*, review: BusinessReview, actor: Any) -> BusinessReview:
    """Send the business review to Partner and Product Management for approval.

    Side effects: the `submit` transition (role and state checked by fire), an audit row,
    and a notification to every partner manager."""
    with transaction.atomic():
        locked = BusinessReview.objects.select_for_update().get(pk=review.pk)
        previous = fire(locked, "submit", actor=actor, error=PartnerError, at=timezone.now())
        audit(
            actor=actor,
            action="business_review.submit",
            obj=locked,
            from_state=previous,
            to_state=locked.state,
        )
        notify(
            recipients=selectors.partner_managers(),
            event="business_review_submitted",
            subject=f"{locked.partner}: business review submitted for approval",
            context={"partner": locked.partner},
            link=link("manage:partner", locked.partner_id),
        )
    return locked


def business_review_decide(
    *, review: BusinessReview | None, actor: Any, approve: bool, comment: str = ""
) -> BusinessReview:
    """Approve the business review or return it with comments (a return must say what to
    change, or the partner cannot act on it).

    Side effects: the `approve` / `return_for_changes` transition, an audit row with the
    comment, and a notification to the partner's admins."""
    if review is None:
        raise PartnerError("This partner has no business review yet.", code="wrong_state")
    if not approve and not comment.strip():
        raise PartnerError("Say what the partner should change when returning the review.")
    with transaction.atomic():
        locked = BusinessReview.objects.select_for_update().get(pk=review.pk)
        name = "approve" if approve else "return_for_changes"
        previous = fire(
            locked,
            name,
            actor=actor,
            error=PartnerError,
            by=actor,
            at=timezone.now(),
            comment=comment,
        )
        audit(
            actor=actor,
            action=f"business_review.{name}",
            obj=locked,
            from_state=previous,
            to_state=locked.state,
            comment=comment,
        )
        notify(
            recipients=selectors.partner_admins(locked.partner_id),
            event="business_review_decided",
            subject=(
                "Your business review was approved"
                if approve
                else "Your business review was returned with comments"
            ),
            context={"partner": locked.partner, "message": comment},
            link=link("portal:business_review"),
            actor=actor,
        )
    return locked


def support_plan_save(*, partner: Partner, actor: Any, **fields: Any) -> SupportPlan:
    """Create or update the support escalation plan (contacts, process, tool access).

    The partner's admins write it; partner managers may too, on the partner's behalf.
    Side effects: the plan row is locked, saved and
    audited."""
    if not permissions.is_partner_admin(actor, partner.pk) and not roles.is_partner_manager(actor):
        raise PartnerError(
            "Only your organisation's admins edit the support plan.", code="not_allowed"
        )
    with transaction.atomic():
        plan, created = SupportPlan.objects.select_for_update().get_or_create(
            partner=partner, defaults=fields
        )
        if not created:
            for key, value in fields.items():
                setattr(plan, key, value)
            plan.save()
        audit(actor=actor, action="support_plan.save", obj=plan, partner_id=partner.pk)
    return plan
