"""Writes of the partners app: program qualification, agreements, money and quota.

Every state change locks its row, goes through certportal.fsm.fire (role + state +
conditions), writes an audit row, and notifies after commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.text import slugify

from certportal import roles
from certportal.audit import audit
from certportal.errors import ProgramError
from certportal.fsm import fire
from certportal.links import link
from certportal.outbox import notify
from partners import permissions, selectors
from partners.enums import (
    AgreementState,
    BusinessReviewState,
    MemberRole,
    QuotaEntryKind,
    QuotaKind,
    Standing,
)
from partners.models import (
    Agreement,
    BusinessReview,
    MarketingActivity,
    Membership,
    Partner,
    Payment,
    QuotaEntry,
    SupportPlan,
)


class PartnerError(ProgramError):
    """A partners-app rule refused the action."""


# --- Partners and members ---------------------------------------------------------------


def partner_create(*, name: str, website: str = "", actor: Any = None) -> Partner:
    base = slugify(name)[:70] or "partner"
    slug, n = base, 2
    while Partner.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    partner = Partner.objects.create(name=name, slug=slug, website=website)
    audit(actor=actor, action="partner.create", obj=partner, partner_id=partner.pk)
    return partner


def partner_set_standing(*, partner: Partner, standing: str, note: str, actor: Any) -> Partner:
    """Technology-partner standing is the vendor's call (partner managers)."""
    if not roles.is_partner_manager(actor):
        raise PartnerError("Only partner managers change a partner's standing.", code="not_allowed")
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        previous = locked.standing
        locked.standing = Standing(standing)
        locked.standing_note = note
        locked.standing_since = timezone.localdate()
        locked.save(update_fields=["standing", "standing_note", "standing_since"])
        audit(
            actor=actor,
            action="partner.standing",
            obj=locked,
            partner_id=locked.pk,
            from_state=previous,
            to_state=locked.standing,
            comment=note,
        )
    return locked


def membership_add(*, partner: Partner, user: Any, role: str, actor: Any = None) -> Membership:
    membership, created = Membership.objects.get_or_create(
        partner=partner, user=user, defaults={"role": MemberRole(role)}
    )
    if not created and membership.role != role:
        membership.role = MemberRole(role)
        membership.save(update_fields=["role"])
    audit(
        actor=actor,
        action="membership.add",
        obj=membership,
        partner_id=partner.pk,
        data={"user_id": user.pk, "role": role},
    )
    return membership


def _admins_left_after(membership: Membership, *, new_role: str | None) -> int:
    others = (
        Membership.objects.filter(partner_id=membership.partner_id, role=MemberRole.ADMIN)
        .exclude(pk=membership.pk)
        .count()
    )
    return others + (1 if new_role == MemberRole.ADMIN else 0)


def membership_change_role(*, membership: Membership, role: str, actor: Any) -> Membership:
    if not permissions.is_partner_admin(actor, membership.partner_id):
        raise PartnerError("Only your organisation's admins change roles.", code="not_allowed")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if _admins_left_after(locked, new_role=role) == 0:
            raise PartnerError("An organisation needs at least one admin.", code="unmet")
        previous = locked.role
        locked.role = MemberRole(role)
        locked.save(update_fields=["role"])
        audit(
            actor=actor,
            action="membership.role",
            obj=locked,
            from_state=previous,
            to_state=role,
        )
    return locked


def membership_remove(*, membership: Membership, actor: Any) -> None:
    if not permissions.is_partner_admin(actor, membership.partner_id):
        raise PartnerError("Only your organisation's admins remove members.", code="not_allowed")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if _admins_left_after(locked, new_role=None) == 0:
            raise PartnerError("An organisation needs at least one admin.", code="unmet")
        audit(
            actor=actor,
            action="membership.remove",
            obj=locked,
            data={"user_id": locked.user_id, "role": locked.role},
        )
        locked.delete()


def partner_admins(partner_id: int) -> list[Any]:
    return [
        m.user
        for m in Membership.objects.filter(partner_id=partner_id, role=MemberRole.ADMIN)
        .select_related("user")
        .order_by("pk")
    ]


def partner_members(partner_id: int) -> list[Any]:
    return [
        m.user
        for m in Membership.objects.filter(partner_id=partner_id)
        .select_related("user")
        .order_by("pk")
    ]


def partner_managers() -> list[Any]:
    return list(roles.staff_in(roles.PARTNER_MANAGER))


# --- Business review and support plan ----------------------------------------------------


def business_review_save(*, partner: Partner, actor: Any, **fields: str) -> BusinessReview:
    """Create or edit the draft (or returned) business review."""
    if not permissions.is_partner_admin(actor, partner.pk):
        raise PartnerError(
            "Only your organisation's admins edit the business review.", code="not_allowed"
        )
    with transaction.atomic():
        review = BusinessReview.objects.select_for_update().filter(partner=partner).first()
        if review is None:
            review = BusinessReview(partner=partner, **fields)
        elif review.state in (BusinessReviewState.SUBMITTED, BusinessReviewState.APPROVED):
            raise PartnerError(
                "The business review is "
                f"{review.get_state_display().lower()} and can no longer be edited.",
                code="wrong_state",
            )
        else:
            for key, value in fields.items():
                setattr(review, key, value)
        review.save()
    return review


def business_review_submit(*, review: BusinessReview, actor: Any) -> BusinessReview:
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
            recipients=partner_managers(),
            event="business_review_submitted",
            subject=f"{locked.partner}: business review submitted for approval",
            context={"partner": locked.partner},
            link=link("manage:partner", locked.partner_id),
        )
    return locked


def business_review_decide(
    *, review: BusinessReview, actor: Any, approve: bool, comment: str = ""
) -> BusinessReview:
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
            recipients=partner_admins(locked.partner_id),
            event="business_review_decided",
            subject=(
                "Your business review was approved"
                if approve
                else "Your business review was returned with comments"
            ),
            context={"partner": locked.partner, "message": comment},
            link=link("portal:business_review"),
        )
    return locked


def support_plan_save(*, partner: Partner, actor: Any, **fields: Any) -> SupportPlan:
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


# --- Agreements ----------------------------------------------------------------------------


def _next_term(partner: Partner) -> tuple[dt.date, dt.date]:
    last = partner.agreements.exclude(state=AgreementState.CANCELLED).order_by("-term_end").first()
    today = timezone.localdate()
    start = last.term_end + dt.timedelta(days=1) if last and last.term_end >= today else today
    return start, _one_year_after(start)


def _one_year_after(start: dt.date) -> dt.date:
    try:
        return start.replace(year=start.year + 1) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def agreement_request(*, partner: Partner, actor: Any, **form: Any) -> Agreement:
    """The agreement-change form: the partner asks for (or renews) its annual agreement."""
    if not permissions.is_partner_admin(actor, partner.pk):
        raise PartnerError(
            "Only your organisation's admins request the agreement.", code="not_allowed"
        )
    with transaction.atomic():
        Partner.objects.select_for_update().get(pk=partner.pk)
        pending = partner.agreements.filter(
            state__in=[AgreementState.REQUESTED, AgreementState.SENT, AgreementState.SIGNED]
        ).first()
        if pending:
            raise PartnerError(
                f"An agreement for {pending.term_start:%d %b %Y} is already "
                f"{pending.get_state_display().lower()}; the partner team will follow up.",
                code="conflict",
            )
        start, end = _next_term(partner)
        agreement = Agreement.objects.create(
            partner=partner, term_start=start, term_end=end, requested_by=actor, **form
        )
        audit(actor=actor, action="agreement.request", obj=agreement, to_state=agreement.state)
        notify(
            recipients=partner_managers(),
            event="agreement_requested",
            subject=f"{partner}: agreement requested for {start:%d %b %Y}",
            context={"partner": partner, "agreement": agreement},
            link=link("manage:partner", partner.pk),
        )
    return agreement


def _agreement_fire(
    agreement: Agreement,
    name: str,
    *,
    actor: Any,
    comment: str = "",
    unmet: str | None = None,
    **kwargs: Any,
) -> Agreement:
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        previous = fire(
            locked, name, actor=actor, error=PartnerError, unmet=unmet, at=timezone.now(), **kwargs
        )
        audit(
            actor=actor,
            action=f"agreement.{name}",
            obj=locked,
            from_state=previous,
            to_state=locked.state,
            comment=comment,
        )
    return locked


def agreement_send(
    *, agreement: Agreement, actor: Any, payment_instructions: str, document_url: str = ""
) -> Agreement:
    if not payment_instructions.strip():
        raise PartnerError("Add the payment details the partner needs.")
    with transaction.atomic():
        locked = _agreement_fire(
            agreement,
            "send",
            actor=actor,
            payment_instructions=payment_instructions,
            document_url=document_url,
        )
        notify(
            recipients=[*partner_admins(locked.partner_id), actor],
            event="agreement_sent",
            subject=f"Your certification agreement for {locked.term_start:%Y}–{locked.term_end:%Y} is ready to sign",
            context={"agreement": locked, "message": payment_instructions},
            link=link("portal:agreement"),
        )
    return locked


def agreement_mark_signed(*, agreement: Agreement, actor: Any) -> Agreement:
    return _agreement_fire(agreement, "mark_signed", actor=actor)


def payment_record(
    *, agreement: Agreement, actor: Any, amount: Decimal, paid_on: dt.date, reference: str
) -> Payment:
    if not roles.is_partner_manager(actor):
        raise PartnerError("Only partner managers record payments.", code="not_allowed")
    if amount <= 0:
        raise PartnerError("A payment amount must be positive.")
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.state in (AgreementState.CANCELLED, AgreementState.EXPIRED):
            raise PartnerError(
                "This agreement is closed; record the payment on the current one.",
                code="wrong_state",
            )
        payment = Payment.objects.create(
            agreement=locked, amount=amount, paid_on=paid_on, reference=reference, recorded_by=actor
        )
        audit(
            actor=actor,
            action="agreement.payment",
            obj=locked,
            comment=reference,
            data={"amount": str(amount), "paid_on": paid_on.isoformat()},
        )
    return payment


def agreement_activate(*, agreement: Agreement, actor: Any) -> Agreement:
    """Activation needs payments covering the fee (the transition's condition)."""
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        money = selectors.money_summary(agreement=locked)
        locked = _agreement_fire(
            locked,
            "activate",
            actor=actor,
            unmet=(
                f"Payments ({money.paid:,.2f} {locked.currency}) do not cover the fee "
                f"({locked.fee:,.2f} {locked.currency}); {money.outstanding:,.2f} is outstanding."
            ),
        )
        notify(
            recipients=[*partner_admins(locked.partner_id), *partner_managers()],
            event="agreement_activated",
            subject=f"Certification agreement active until {locked.term_end:%d %b %Y}",
            context={"agreement": locked},
            link=link("portal:dashboard"),
        )
    return locked


def agreement_cancel(*, agreement: Agreement, actor: Any, reason: str) -> Agreement:
    if not reason.strip():
        raise PartnerError("Give a reason for cancelling the agreement.")
    return _agreement_fire(agreement, "cancel", actor=actor, comment=reason)


def agreement_renew(*, agreement: Agreement, actor: Any) -> Agreement:
    """Create next term's agreement (requested), copying the contact details."""
    if not roles.is_partner_manager(actor):
        raise PartnerError("Only partner managers renew agreements.", code="not_allowed")
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if hasattr(locked, "renewed_by") and locked.renewed_by.state != AgreementState.CANCELLED:
            raise PartnerError("This agreement has already been renewed.", code="conflict")
        start = locked.term_end + dt.timedelta(days=1)
        renewal = Agreement.objects.create(
            partner_id=locked.partner_id,
            term_start=start,
            term_end=_one_year_after(start),
            legal_name=locked.legal_name,
            billing_contact_name=locked.billing_contact_name,
            billing_contact_email=locked.billing_contact_email,
            billing_address=locked.billing_address,
            purchase_order="",
            renewal_of=locked,
            requested_by=actor,
        )
        audit(
            actor=actor,
            action="agreement.renew",
            obj=renewal,
            to_state=renewal.state,
            data={"renewal_of": locked.pk},
        )
    return renewal


def agreements_expire_due(*, today: dt.date | None = None) -> int:
    """Expire active agreements whose term has ended (daily task)."""
    today = today or timezone.localdate()
    count = 0
    for agreement in Agreement.objects.filter(state=AgreementState.ACTIVE, term_end__lt=today):
        with transaction.atomic():
            locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
            if locked.state != AgreementState.ACTIVE:
                continue
            previous = fire(
                locked,
                "expire",
                actor=None,
                error=PartnerError,
                check_perm=False,
                at=timezone.now(),
            )
            audit(
                actor=None,
                action="agreement.expire",
                obj=locked,
                from_state=previous,
                to_state=locked.state,
            )
            count += 1
    return count


def agreement_expiry_reminders(
    *, today: dt.date | None = None, thresholds: tuple[int, ...] = (60, 30, 7)
) -> int:
    """Remind partner admins and managers 60/30/7 days before expiry, once per threshold."""
    today = today or timezone.localdate()
    sent = 0
    horizon = today + dt.timedelta(days=max(thresholds))
    for agreement in Agreement.objects.filter(
        state=AgreementState.ACTIVE, term_end__gte=today, term_end__lte=horizon
    ).select_related("partner"):
        days_left = (agreement.term_end - today).days
        due = [t for t in thresholds if days_left <= t and t not in agreement.reminders_sent]
        if not due:
            continue
        threshold = min(due)
        with transaction.atomic():
            locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
            locked.reminders_sent = sorted({*locked.reminders_sent, *due})
            locked.save(update_fields=["reminders_sent"])
            notify(
                recipients=[*partner_admins(locked.partner_id), *partner_managers()],
                event="agreement_expiring",
                subject=f"{agreement.partner}: certification agreement expires in {days_left} days",
                context={"agreement": locked, "days_left": days_left},
                link=link("portal:agreement"),
                dedupe_key=f"agreement-expiring:{locked.pk}:{threshold}",
            )
            sent += 1
    return sent


# --- Marketing credit and quota --------------------------------------------------------------


def marketing_activity_record(
    *,
    agreement: Agreement,
    actor: Any,
    title: str,
    amount: Decimal,
    happened_on: dt.date,
    description: str = "",
) -> MarketingActivity:
    """Draw on the marketing credit; never beyond it (row lock on the agreement)."""
    if not roles.is_partner_manager(actor):
        raise PartnerError("Only partner managers record marketing activities.", code="not_allowed")
    if amount <= 0:
        raise PartnerError("The amount must be positive.")
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        used = locked.marketing_activities.aggregate(total=Sum("amount"))["total"] or Decimal("0")
        left = locked.marketing_credit - used
        if amount > left:
            raise PartnerError(
                f"Only {left:,.2f} {locked.currency} of marketing credit is left in this term "
                f"(credit {locked.marketing_credit:,.2f}, used {used:,.2f}).",
                code="unmet",
            )
        activity = MarketingActivity.objects.create(
            agreement=locked,
            title=title,
            amount=amount,
            happened_on=happened_on,
            description=description,
            recorded_by=actor,
        )
        audit(
            actor=actor,
            action="marketing.record",
            obj=locked,
            comment=title,
            data={"amount": str(amount)},
        )
    return activity


def quota_grant(
    *, agreement: Agreement, actor: Any, kind: str, units: int, reason: str
) -> QuotaEntry:
    """Extra certification units for this term, with a reason (audited)."""
    if not roles.is_partner_manager(actor):
        raise PartnerError("Only partner managers grant extra quota.", code="not_allowed")
    if units < 1:
        raise PartnerError("Grant at least one unit.")
    if not reason.strip():
        raise PartnerError("Give a reason for the extra quota.")
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        entry = QuotaEntry.objects.create(
            agreement=locked,
            quota_kind=QuotaKind(kind),
            entry_kind=QuotaEntryKind.GRANT,
            units=units,
            reason=reason,
            actor=actor,
        )
        audit(
            actor=actor,
            action="quota.grant",
            obj=locked,
            comment=reason,
            data={"kind": kind, "units": units},
        )
    return entry


def quota_consume(*, agreement: Agreement, kind: str, request_id: int, actor: Any) -> QuotaEntry:
    """Use one unit. The caller holds the agreement row lock (select_for_update) so two
    concurrent submissions can never both take the last unit."""
    left = selectors.quota_left(agreement=agreement, kind=kind)
    if left < 1:
        raise PartnerError(
            f"No {kind} certifications are left in this agreement term.", code="unmet"
        )
    return QuotaEntry.objects.create(
        agreement=agreement,
        quota_kind=QuotaKind(kind),
        entry_kind=QuotaEntryKind.CONSUME,
        units=-1,
        request_id=request_id,
        actor=actor,
    )


def quota_refund(*, request_id: int, actor: Any, reason: str) -> QuotaEntry | None:
    """Give back the unit a request used (only when withdrawn before review started)."""
    consumed = QuotaEntry.objects.filter(
        request_id=request_id, entry_kind=QuotaEntryKind.CONSUME
    ).first()
    if (
        consumed is None
        or QuotaEntry.objects.filter(
            request_id=request_id, entry_kind=QuotaEntryKind.REFUND
        ).exists()
    ):
        return None
    Agreement.objects.select_for_update().get(pk=consumed.agreement_id)
    return QuotaEntry.objects.create(
        agreement_id=consumed.agreement_id,
        quota_kind=consumed.quota_kind,
        entry_kind=QuotaEntryKind.REFUND,
        units=1,
        request_id=request_id,
        reason=reason,
        actor=actor,
    )


# --- Eligibility ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unmet:
    code: str
    message: str
    fix_url_name: str = ""


_UNKNOWN: Any = object()


def eligibility_check(
    *,
    partner: Partner,
    quota_kind: str | None,
    agreement_in_force: Agreement | None = _UNKNOWN,
    money: selectors.MoneySummary | None = None,
) -> list[Unmet]:
    """Every unmet program requirement for submitting a request that uses `quota_kind`
    (None for a docs-only update), each with a message the partner can act on.

    A page that already loaded the agreement in force (and its money summary) passes them
    in so they are not read twice."""
    unmet: list[Unmet] = []
    if partner.standing != Standing.GOOD:
        unmet.append(
            Unmet(
                "standing",
                f"Your technology-partner standing is {partner.get_standing_display().lower()}. "
                "Contact your partner manager to restore good standing.",
            )
        )
    # The business review's state and whether a support plan exists, in one query.
    facts = (
        Partner.objects.filter(pk=partner.pk)
        .values(
            review_state=Subquery(
                BusinessReview.objects.filter(partner=OuterRef("pk")).values("state")[:1]
            ),
            has_plan=Exists(SupportPlan.objects.filter(partner=OuterRef("pk"))),
        )
        .first()
    ) or {"review_state": None, "has_plan": False}
    review_state = facts["review_state"]
    if review_state != BusinessReviewState.APPROVED:
        detail = (
            "has not been started"
            if review_state is None
            else f"is {BusinessReviewState(review_state).label.lower()}"
        )
        unmet.append(
            Unmet(
                "business_review",
                f"The business review {detail}; it must be approved by the partner team.",
                "portal:business_review",
            )
        )
    if not facts["has_plan"]:
        unmet.append(
            Unmet(
                "support_plan",
                "Add your support escalation plan (contacts and access to your support tool).",
                "portal:support_plan",
            )
        )
    agreement = (
        selectors.agreement_in_force(partner=partner)
        if agreement_in_force is _UNKNOWN
        else agreement_in_force
    )
    if agreement is None:
        unmet.append(
            Unmet(
                "agreement",
                "You need an active, paid annual certification agreement.",
                "portal:agreement",
            )
        )
    elif not (money or selectors.money_summary(agreement=agreement)).is_paid:
        unmet.append(
            Unmet(
                "agreement",
                "Your agreement fee is not fully paid yet.",
                "portal:agreement",
            )
        )
    elif quota_kind and selectors.quota_left(agreement=agreement, kind=quota_kind) < 1:
        unmet.append(
            Unmet(
                f"quota_{quota_kind}",
                f"No {quota_kind} certifications are left in this agreement term. "
                "Ask your partner manager about extra quota or wait for the renewal.",
            )
        )
    return unmet
