"""Writes of an agreement's ledgers: the marketing credit (USD 1,500 a term) and the
certification quota (4 major + 6 minor a term, plus granted extras).

Quota is an append-only ledger of QuotaEntry rows (grant +n, consume -1, refund +1), so
what is left is always derived (selectors.quota_summary), never a counter to keep in
sync. Every write holds the agreement row lock so two concurrent writers cannot both take
the last unit or the last dollar."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from certportal import roles
from certportal.audit import audit
from certportal.templatetags.display import money as format_money
from partners import selectors
from partners.enums import QuotaEntryKind, QuotaKind
from partners.models import Agreement, MarketingActivity, QuotaEntry
from partners.services.errors import PartnerError


def marketing_activity_record(
    *,
    agreement: Agreement,
    actor: Any,
    title: str,
    amount: Decimal,
    happened_on: dt.date,
    description: str = "",
) -> MarketingActivity:
    """Draw on the marketing credit; never beyond it (row lock on the agreement).

    Partner managers only. Side effects: a MarketingActivity row and an audit row on the
    agreement; a refusal says how much credit is left."""
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
                f"Only {format_money(left, locked.currency)} of marketing credit is left in "
                f"this term (credit {format_money(locked.marketing_credit, locked.currency)}, "
                f"used {format_money(used, locked.currency)}).",
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
    """Extra certification units for this term, with a reason (audited).

    Partner managers only; the reason is required so the exception to the program's
    4 + 6 is explained in the audit trail. Side effects: a GRANT ledger entry and an audit
    row on the (locked) agreement."""
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
    """Use one unit (at a request's submit). The caller holds the agreement row lock
    (select_for_update) so two concurrent submissions can never both take the last unit.

    Side effects: a CONSUME ledger entry (-1) naming the request."""
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
    """Give back the unit a request used (only when withdrawn before review started; the
    caller decides that). Returns None when the request used no unit or was already
    refunded, so calling it twice gives back one unit.

    Side effects: the agreement row is locked (the caller's transaction) and a REFUND
    ledger entry (+1) is written."""
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
