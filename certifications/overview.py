"""The partner managers' overview: every partner with its agreement, money, quota and
certifications in one query, and the derived figures of one row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.utils import timezone

from certifications.enums import CERTIFIED_STATES, OPEN_STATES
from certifications.models import CertificationRequest
from partners.enums import AgreementState
from partners.models import Agreement, MarketingActivity, Partner, Payment, SupportPlan
from partners.selectors import (
    MONEY_FIELD,
    count_subquery,
    money,
    quota_totals,
    sum_subquery,
)

RENEWAL_WINDOW_DAYS = 90


def partners_overview(
    *, partners: QuerySet[Partner] | None = None, today: dt.date | None = None
) -> QuerySet[Partner]:
    """Every partner with its standing, business review, support plan, current agreement
    (as partners.selectors.agreement_current chooses it), money, quota, certifications this
    term and open requests, in ONE query however many partners there are."""
    today = today or timezone.localdate()
    current = (
        Agreement.objects.filter(partner=OuterRef("pk"))
        .annotate(
            rank=Case(
                When(
                    state=AgreementState.ACTIVE, term_start__lte=today, term_end__gte=today, then=0
                ),
                When(~Q(state=AgreementState.CANCELLED), then=1),
                default=2,
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "-term_start", "-pk")
    )

    def pick(field: str):
        return Subquery(current.values(field)[:1])

    agreement = OuterRef("agreement_id")
    return (
        (Partner.objects.all() if partners is None else partners)
        .annotate(
            review_state=F("business_review__state"),
            has_support_plan=Exists(SupportPlan.objects.filter(partner=OuterRef("pk"))),
            agreement_id=pick("pk"),
            agreement_state=pick("state"),
            agreement_term_start=pick("term_start"),
            agreement_term_end=pick("term_end"),
            agreement_fee=pick("fee"),
            agreement_currency=pick("currency"),
            agreement_major=pick("major_quota"),
            agreement_minor=pick("minor_quota"),
            agreement_credit=pick("marketing_credit"),
        )
        .annotate(
            paid=sum_subquery(
                Payment.objects.filter(agreement_id=agreement), "amount", output=MONEY_FIELD
            ),
            credit_used=sum_subquery(
                MarketingActivity.objects.filter(agreement_id=agreement),
                "amount",
                output=MONEY_FIELD,
            ),
            **quota_totals(agreement),
            certs_this_term=count_subquery(
                CertificationRequest.objects.filter(
                    integration__partner_id=OuterRef("pk"),
                    state__in=CERTIFIED_STATES,
                    closed_at__date__gte=OuterRef("agreement_term_start"),
                    closed_at__date__lte=OuterRef("agreement_term_end"),
                )
            ),
            open_requests=count_subquery(
                CertificationRequest.objects.filter(
                    integration__partner_id=OuterRef("pk"), state__in=OPEN_STATES
                )
            ),
        )
    )


@dataclass(frozen=True)
class PartnerRow:
    """Derived figures of one overview row (no queries)."""

    partner: Partner
    today: dt.date

    def __getattr__(self, name):
        return getattr(self.partner, name)

    @property
    def paid(self) -> Decimal:
        return money(self.partner.paid)

    @property
    def credit_used(self) -> Decimal:
        return money(self.partner.credit_used)

    @property
    def outstanding(self) -> Decimal:
        if self.partner.agreement_fee is None:
            return money(0)
        return max(money(self.partner.agreement_fee) - self.paid, money(0))

    @property
    def fee_paid(self) -> bool:
        return self.partner.agreement_id is not None and self.outstanding == 0

    @property
    def major_total(self) -> int:
        return (self.partner.agreement_major or 0) + self.partner.major_extra

    @property
    def minor_total(self) -> int:
        return (self.partner.agreement_minor or 0) + self.partner.minor_extra

    @property
    def major_left(self) -> int:
        return max(self.major_total - self.partner.major_used, 0)

    @property
    def minor_left(self) -> int:
        return max(self.minor_total - self.partner.minor_used, 0)

    @property
    def credit_left(self) -> Decimal:
        if self.partner.agreement_credit is None:
            return money(0)
        return max(money(self.partner.agreement_credit) - self.credit_used, money(0))

    @property
    def renewal_due(self) -> bool:
        end = self.partner.agreement_term_end
        return (
            end is not None
            and self.partner.agreement_state == AgreementState.ACTIVE
            and self.today <= end <= self.today + dt.timedelta(days=RENEWAL_WINDOW_DAYS)
        )
