"""Writes of the annual certification agreement: request → sent → signed → paid → active →
expired, plus renewal, payments and the daily expiry housekeeping.

Every transition locks the agreement row, goes through certportal.fsm.fire (role, state,
conditions) and writes an audit row; notifications are Notification rows written in the
same transaction (certportal.outbox) and delivered after commit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from certportal import roles
from certportal.audit import audit
from certportal.fsm import fire
from certportal.links import link
from certportal.outbox import notify
from certportal.templatetags.display import money as format_money
from partners import permissions, selectors
from partners.enums import AgreementState
from partners.models import Agreement, Partner, Payment
from partners.services.errors import PartnerError
from partners.webhook_events import agreement_changed


def _next_term(partner: Partner) -> tuple[dt.date, dt.date]:
    """A new term starts the day after the current one ends (so renewing early loses no
    days), or today when there is none in force."""
    last = partner.agreements.exclude(state=AgreementState.CANCELLED).order_by("-term_end").first()
    today = timezone.localdate()
    start = last.term_end + dt.timedelta(days=1) if last and last.term_end >= today else today
    return start, _one_year_after(start)


def _one_year_after(start: dt.date) -> dt.date:
    """The last day of a one-year term starting on `start`."""
    try:
        return start.replace(year=start.year + 1) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def agreement_request(*, partner: Partner, actor: Any, **form: Any) -> Agreement:
    """The agreement-change form: the partner asks for (or renews) its annual agreement.

    Only the organisation's admins may, and only one request may be open at a time (the
    partner row lock serialises two admins submitting at once). Side effects: a requested
    Agreement for the next term, an audit row, a notification to every partner manager."""
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
        agreement_changed(agreement, action="request")
        notify(
            recipients=selectors.partner_managers(),
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
    """Lock, fire transition `name` (refusals raise PartnerError, `unmet` being the message
    for a failed condition) and audit it. Joins the caller's transaction if there is one."""
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
        agreement_changed(locked, action=name, from_state=previous)
    return locked


def agreement_send(
    *, agreement: Agreement, actor: Any, payment_instructions: str, document_url: str = ""
) -> Agreement:
    """Send the agreement and payment details to the partner (the partner cannot pay
    without them, so they are required).

    Side effects: the `send` transition and its audit row, and a notification to the
    partner's admins and the sending manager."""
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
            recipients=selectors.partner_admins(locked.partner_id),
            event="agreement_sent",
            subject=f"Your certification agreement for {locked.term_start:%Y}–{locked.term_end:%Y} is ready to sign",
            context={"agreement": locked, "message": payment_instructions},
            link=link("portal:agreement"),
            actor=actor,
        )
    return locked


def agreement_mark_signed(*, agreement: Agreement, actor: Any) -> Agreement:
    """Record that the partner signed. Side effects: the `mark_signed` transition and its
    audit row."""
    return _agreement_fire(agreement, "mark_signed", actor=actor)


def payment_record(
    *, agreement: Agreement, actor: Any, amount: Decimal, paid_on: dt.date, reference: str
) -> Payment:
    """Record a payment towards the agreement fee (activation needs the fee covered).

    Partner managers only; never on a cancelled or expired agreement, where it would not
    count. Side effects: a Payment row and an audit row on the (locked) agreement."""
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
        agreement_changed(locked, action="payment", from_state=locked.state)
    return payment


def agreement_activate(*, agreement: Agreement, actor: Any) -> Agreement:
    """Activate a signed agreement; no submission is accepted without an active, paid one.

    Activation needs payments covering the fee (the transition's condition); a refusal
    says how much is outstanding. Side effects: the `activate` transition and its audit
    row, and a notification to the partner's admins (managers see it in /manage/)."""
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        money = selectors.money_summary(agreement=locked)
        locked = _agreement_fire(
            locked,
            "activate",
            actor=actor,
            unmet=(
                f"Payments ({format_money(money.paid, locked.currency)}) do not cover the fee "
                f"({format_money(locked.fee, locked.currency)}); "
                f"{format_money(money.outstanding, locked.currency)} is outstanding."
            ),
        )
        notify(
            # Partner-facing: the managers see the agreement in /manage/ (issue 14).
            recipients=selectors.partner_admins(locked.partner_id),
            event="agreement_activated",
            subject=f"Certification agreement active until {locked.term_end:%d %b %Y}",
            context={"agreement": locked},
            link=link("portal:dashboard"),
            actor=actor,
        )
    return locked


def agreement_cancel(*, agreement: Agreement, actor: Any, reason: str) -> Agreement:
    """Cancel an agreement; the reason is required because it is the partner's record of
    why. Side effects: the `cancel` transition and its audit row (with the reason)."""
    if not reason.strip():
        raise PartnerError("Give a reason for cancelling the agreement.")
    return _agreement_fire(agreement, "cancel", actor=actor, comment=reason)


def agreement_renew(*, agreement: Agreement, actor: Any) -> Agreement:
    """Create next term's agreement (requested), copying the contact details, so the
    partner keeps certifying without a gap.

    Partner managers only; an agreement is renewed once (unless that renewal was
    cancelled). Side effects: a requested Agreement starting the day after this term
    ends, linked with `renewal_of`, and an audit row."""
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
        agreement_changed(renewal, action="renew")
    return renewal


def agreements_expire_due(*, today: dt.date | None = None) -> int:
    """Expire active agreements whose term and renewal grace period (AGREEMENT_GRACE_DAYS)
    have ended, or whose term ended and whose renewal is in force (daily task); returns
    how many.

    Each agreement is re-read under its own lock and skipped if it is no longer active,
    so two overlapping runs expire it once. Side effects per agreement: the `expire`
    transition (system actor, no permission check) and its audit row."""
    today = today or timezone.localdate()
    count = 0
    ended = today - dt.timedelta(days=settings.AGREEMENT_GRACE_DAYS)
    # In the grace period an agreement still counts, unless its renewal is already in force.
    successor = Agreement.objects.filter(
        partner_id=OuterRef("partner_id"),
        state=AgreementState.ACTIVE,
        term_start__lte=today,
        term_end__gte=today,
    )
    due = Agreement.objects.filter(state=AgreementState.ACTIVE, term_end__lt=today).filter(
        Q(term_end__lt=ended) | Exists(successor)
    )
    for agreement in due:
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
            agreement_changed(locked, action="expire", from_state=previous)
            count += 1
    return count


def agreement_expiry_reminders(
    *, today: dt.date | None = None, thresholds: tuple[int, ...] = (90, 30, 7)
) -> int:
    """Remind partner admins and managers 90/30/7 days before expiry, once per threshold
    (daily task); returns how many reminders were sent.

    Side effects per due agreement: `reminders_sent` records every threshold passed (so
    a missed day does not send two), and one notification deduplicated per agreement and
    threshold."""
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
                recipients=selectors.partner_admins(locked.partner_id),
                event="agreement_expiring",
                subject=f"{agreement.partner}: certification agreement expires in {days_left} days",
                context={"agreement": locked, "days_left": days_left},
                link=link("portal:agreement"),
                dedupe_key=f"agreement-expiring:{locked.pk}:{threshold}",
            )
            # The managers' own copy links their page, not the partner's (issue 14).
            notify(
                recipients=selectors.partner_managers(),
                event="agreement_expiring_staff",
                subject=f"{agreement.partner}: certification agreement expires in {days_left} days",
                context={"agreement": locked, "days_left": days_left},
                link=link("manage:partner", locked.partner_id),
                dedupe_key=f"agreement-expiring-staff:{locked.pk}:{threshold}",
            )
            sent += 1
    return sent
