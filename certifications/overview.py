"""The partner managers' overview: every partner with its agreement, money, quota and
certifications in one query, the derived figures of one row, and the stored sort and filter
keys (PartnerOverviewKeys) that make any sort and any page cost the same (issue 19)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from certifications.enums import CERTIFIED_STATES, OPEN_STATES
from certifications.models import CertificationRequest, PartnerOverviewKeys
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
    *,
    partners: QuerySet[Partner] | None = None,
    today: dt.date | None = None,
    stored_counts: bool = False,
) -> QuerySet[Partner]:
    """Every partner with its standing, business review, support plan, current agreement
    (as partners.selectors.agreement_current chooses it), money, quota, certifications this
    term and open requests, in ONE query however many partners there are.

    `stored_counts`: the two request counts come from the stored keys (PartnerOverviewKeys,
    kept current by certifications.receivers) instead of being counted per partner, the
    most expensive part of a page (half its database time)."""
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
    if stored_counts:
        counts = {
            "certs_this_term": Coalesce(F("overview_keys__certs_this_term"), Value(0)),
            "open_requests": Coalesce(F("overview_keys__open_requests"), Value(0)),
        }
    else:
        counts = {
            "certs_this_term": count_subquery(
                CertificationRequest.objects.filter(
                    integration__partner_id=OuterRef("pk"),
                    state__in=CERTIFIED_STATES,
                    closed_at__date__gte=OuterRef("agreement_term_start"),
                    closed_at__date__lte=OuterRef("agreement_term_end"),
                )
            ),
            "open_requests": count_subquery(
                CertificationRequest.objects.filter(
                    integration__partner_id=OuterRef("pk"), state__in=OPEN_STATES
                )
            ),
        }
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
            **counts,
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


# --- Stored sort and filter keys -------------------------------------------------------------

KEY_FIELDS = ("agreement_id", "agreement_state", "renewal_on", "outstanding")
KEY_FIELDS += ("open_requests", "certs_this_term", "refreshed_at")


def overview_keys_refresh(
    *, partners: QuerySet[Partner] | Iterable[int] | None = None, today: dt.date | None = None
) -> int:
    """Recompute the stored overview keys of `partners` (a queryset or ids; None: every
    partner) from the same query the page shows, and upsert them: two queries however
    many partners. Called for one partner whenever its requests, agreements or payments
    change (certifications.receivers) and for all of them daily (the current agreement and
    its term follow the calendar). Returns how many partners were refreshed."""
    if partners is None:
        partners = Partner.objects.all()
    elif not isinstance(partners, QuerySet):
        partners = Partner.objects.filter(pk__in=list(partners))
    figures = partners_overview(partners=partners.order_by(), today=today).values_list(
        "pk",
        "agreement_id",
        "agreement_state",
        "agreement_term_end",
        "agreement_fee",
        "paid",
        "open_requests",
        "certs_this_term",
    )
    keys = [
        PartnerOverviewKeys(
            partner_id=pk,
            agreement_id=agreement_id,
            agreement_state=state or "",
            renewal_on=term_end,
            outstanding=None if fee is None else money(fee) - money(paid),
            open_requests=open_requests,
            certs_this_term=certs,
        )
        for pk, agreement_id, state, term_end, fee, paid, open_requests, certs in figures
    ]
    if keys:
        PartnerOverviewKeys.objects.bulk_create(
            keys,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["partner"],
            update_fields=KEY_FIELDS,
        )
    return len(keys)


# sort name → the partner column or stored key it orders by
SORT_KEYS = {
    "name": "name",
    "renewal": "overview_keys__renewal_on",
    "outstanding": "overview_keys__outstanding",
    "open": "overview_keys__open_requests",
    "certs": "overview_keys__certs_this_term",
    "standing": "standing",
}


def overview_page(
    *,
    partners: QuerySet[Partner],
    filters: dict[str, Any],
    sort: str = "name",
    desc: bool = False,
    number: Any = 1,
    per_page: int = 50,
    today: dt.date | None = None,
) -> tuple[Page, list[PartnerRow]]:
    """One page of the overview: the partners are filtered, sorted and paged on their
    stored keys (indexed columns; nothing computed per partner), then the page's own rows,
    and only those, get the live figures of `partners_overview`. A page costs the same
    queries and the same work whatever the sort, the page number or the number of
    partners. `filters`: standing, agreement ("none" or a state), renewal_due."""
    today = today or timezone.localdate()
    qs = partners
    if filters.get("standing"):
        qs = qs.filter(standing=filters["standing"])
    if filters.get("agreement") == "none":
        qs = qs.filter(overview_keys__agreement_id__isnull=True)
    elif filters.get("agreement"):
        qs = qs.filter(overview_keys__agreement_state=filters["agreement"])
    if filters.get("renewal_due"):
        qs = qs.filter(
            overview_keys__agreement_state=AgreementState.ACTIVE,
            overview_keys__renewal_on__gte=today,
            overview_keys__renewal_on__lte=today + dt.timedelta(days=RENEWAL_WINDOW_DAYS),
        )
    field = F(SORT_KEYS.get(sort, "name"))
    ordered = qs.order_by(
        field.desc(nulls_last=True) if desc else field.asc(nulls_last=True), "name", "pk"
    ).values_list("pk", flat=True)
    page = Paginator(ordered, per_page).get_page(number)
    ids = list(page.object_list)
    live = {
        p.pk: p
        for p in partners_overview(
            partners=Partner.objects.filter(pk__in=ids).order_by(),
            today=today,
            stored_counts=True,
        )
    }
    rows = [PartnerRow(live[pk], today) for pk in ids if pk in live]
    return page, rows
