"""Reads of an agreement's ledgers with running balances, and the program's fees by
year. Reusable by every interface (the managers' partner page, the partner's agreement
page, CSV exports, the API): plain dataclasses, amounts as Decimal, request ids as ids
(the caller names them; partners does not know certifications).

A ledger starts with an opening line (the quota or credit the agreement includes) and
each entry moves the balance; the last balance is what quota_summary / money_summary
report as left (when the ledger never went below zero)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from certportal.people import display_name
from partners.enums import AgreementState, QuotaEntryKind, QuotaKind
from partners.models import Agreement, MarketingActivity, Payment, QuotaEntry
from partners.selectors import agreements_with_totals, money

# Payment is due this many days after the agreement is sent; later it is overdue.
PAYMENT_DUE_DAYS = 30
INVOICED_STATES = (
    AgreementState.SENT,
    AgreementState.SIGNED,
    AgreementState.ACTIVE,
    AgreementState.EXPIRED,
)


def _person(user: Any) -> str:
    return display_name(user, "system")


@dataclass(frozen=True)
class QuotaLine:
    at: dt.datetime | None
    quota_kind: str
    what: str
    units: int
    balance: int
    request_id: int | None = None
    reason: str = ""
    by: str = ""


def quota_ledger(*, agreement: Agreement) -> dict[str, list[QuotaLine]]:
    """Per quota kind: the included units, then every entry (consumed by which request,
    given back by which withdrawal, granted by whom and why) with the running balance.
    One query."""
    included = {QuotaKind.MAJOR: agreement.major_quota, QuotaKind.MINOR: agreement.minor_quota}
    labels = dict(QuotaEntryKind.choices)
    start = timezone.make_aware(dt.datetime.combine(agreement.term_start, dt.time.min))
    ledger: dict[str, list[QuotaLine]] = {
        kind: [QuotaLine(start, kind, "Included in the agreement", n, n)]
        for kind, n in included.items()
    }
    for e in QuotaEntry.objects.filter(agreement=agreement).select_related("actor"):
        lines = ledger[e.quota_kind]
        lines.append(
            QuotaLine(
                e.at,
                e.quota_kind,
                labels.get(e.entry_kind, e.entry_kind),
                e.units,
                lines[-1].balance + e.units,
                e.request_id,
                e.reason,
                _person(e.actor),
            )
        )
    return ledger


@dataclass(frozen=True)
class CreditLine:
    on: dt.date
    title: str
    amount: Decimal
    balance: Decimal
    approved_by: str = ""


def marketing_ledger(*, agreement: Agreement) -> list[CreditLine]:
    """The marketing credit, then every activity (title, date, amount, approved by) with
    the credit left after it. One query."""
    lines = [
        CreditLine(
            agreement.term_start,
            "Marketing credit included",
            money(agreement.marketing_credit),
            money(agreement.marketing_credit),
        )
    ]
    for a in MarketingActivity.objects.filter(agreement=agreement).select_related("recorded_by"):
        lines.append(
            CreditLine(
                a.happened_on,
                a.title,
                -money(a.amount),
                lines[-1].balance - money(a.amount),
                _person(a.recorded_by),
            )
        )
    return lines


@dataclass(frozen=True)
class FeeYear:
    year: int
    invoiced: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return max(self.invoiced - self.paid, Decimal("0.00"))


def fees_by_year() -> list[FeeYear]:
    """Fees invoiced (agreements sent to the partner, not cancelled) and paid, per year
    of the term's start, newest first. Two grouped queries."""
    invoiced = dict(
        Agreement.objects.filter(state__in=INVOICED_STATES)
        .order_by()
        .values(y=ExtractYear("term_start"))
        .annotate(t=Sum("fee"))
        .values_list("y", "t")
    )
    paid = dict(
        Payment.objects.filter(agreement__state__in=INVOICED_STATES)
        .order_by()
        .values(y=ExtractYear("agreement__term_start"))
        .annotate(t=Sum("amount"))
        .values_list("y", "t")
    )
    years = sorted({*invoiced, *paid}, reverse=True)
    return [FeeYear(y, money(invoiced.get(y)), money(paid.get(y))) for y in years]


def overdue_agreements(*, today: dt.date | None = None) -> QuerySet[Agreement]:
    """Invoiced agreements whose fee is not covered PAYMENT_DUE_DAYS after they were
    sent, longest overdue first (annotated like agreements_with_totals)."""
    today = today or timezone.localdate()
    due_before = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=PAYMENT_DUE_DAYS), dt.time.max)
    )
    return (
        agreements_with_totals()
        .filter(state__in=INVOICED_STATES, sent_at__lte=due_before)
        .filter(Q(paid__lt=F("fee")))
        .order_by("sent_at", "pk")
    )
