"""Reads for renewals: agreements expiring within the reminder window or in their grace
period and not yet renewed (the managers' renewals page), and whether a partner's
agreement is in its grace period ("renewal pending" on listings)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from partners.enums import AgreementState
from partners.models import Agreement

# Reminders go out this many days before the term ends, once each.
REMINDER_DAYS = (90, 30, 7)


def grace_days() -> int:
    return settings.AGREEMENT_GRACE_DAYS


def renewals_due(*, today: dt.date | None = None) -> QuerySet[Agreement]:
    """Active agreements ending within the first reminder window, or already ended and in
    their grace period, that have no live renewal; soonest first."""
    today = today or timezone.localdate()
    renewed = Agreement.objects.filter(renewal_of=OuterRef("pk")).exclude(
        state=AgreementState.CANCELLED
    )
    return (
        Agreement.objects.filter(
            state=AgreementState.ACTIVE,
            term_end__gte=today - dt.timedelta(days=grace_days()),
            term_end__lte=today + dt.timedelta(days=max(REMINDER_DAYS)),
        )
        .annotate(renewed=Exists(renewed))
        .filter(renewed=False)
        .select_related("partner")
        .order_by("term_end", "pk")
    )


@dataclass(frozen=True)
class RenewalRow:
    agreement: Agreement

    @property
    def days_left(self) -> int:
        return (self.agreement.term_end - timezone.localdate()).days

    @property
    def in_grace(self) -> bool:
        return self.days_left < 0

    @property
    def grace_ends(self) -> dt.date:
        return self.agreement.term_end + dt.timedelta(days=grace_days())

    @property
    def reminders(self) -> str:
        sent = sorted(self.agreement.reminders_sent or [], reverse=True)
        return ", ".join(f"{d} days" for d in sent) or "none yet"
