"""The partner managers' overview: every partner with its agreement, money, quota and
certifications in one query, the derived figures of one row, and the stored sort and filter
keys (PartnerOverviewKeys) that make any sort and any page cost the same (issue 19)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
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
from partners.enums import AgreementState, QuotaEntryKind, QuotaKind
from partners.models import (
    Agreement,
    BusinessReview,
    MarketingActivity,
    Partner,
    Payment,
    QuotaEntry,
    SupportPlan,
)
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


_ZERO = money(0)
# The quota kinds, in the order of the page query's columns (an enum's `values` is
# recomputed at each read).
_QUOTA_KINDS = tuple(QuotaKind.values)


def _outstanding(amount, spent) -> Decimal:
    """What is left of `amount` (a fee, a marketing credit) after `spent`: never below zero;
    no amount (no agreement): 0."""
    if amount is None:
        return _ZERO
    return max(money(amount) - money(spent), _ZERO)


def _renewal_due(state: str | None, end: dt.date | None, today: dt.date) -> bool:
    return (
        end is not None
        and state == AgreementState.ACTIVE
        and today <= end <= today + dt.timedelta(days=RENEWAL_WINDOW_DAYS)
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
        return _outstanding(self.partner.agreement_fee, self.partner.paid)

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
        return _outstanding(self.partner.agreement_credit, self.partner.credit_used)

    @property
    def renewal_due(self) -> bool:
        return _renewal_due(
            self.partner.agreement_state, self.partner.agreement_term_end, self.today
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
) -> tuple[Page, list[OverviewRow]]:
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
    return page, page_rows(list(page.object_list), today=today)


# --- The live figures of one page's rows ------------------------------------------------------


class OverviewRow(dict):
    """One row of the overview page: the partner's figures as plain values. A dict, so the
    template's lookups (which try a key first) succeed at the first try; Python reads
    them as attributes (`row.open_requests`)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


# The columns of `_PAGE_ROWS_SQL`, in order.
_PAGE_ROW_COLUMNS = (
    "pk",
    "name",
    "standing",
    "review_state",
    "support_plan_id",
    "certs_this_term",
    "open_requests",
    "agreement_id",
    "agreement_state",
    "agreement_term_start",
    "agreement_term_end",
    "agreement_fee",
    "agreement_currency",
    "agreement_major",
    "agreement_minor",
    "agreement_credit",
    "paid",
    "credit_used",
    *(f"{kind}_{total}" for kind in _QUOTA_KINDS for total in ("used", "extra")),
)


@functools.cache
def _page_rows_sql() -> str:
    """`partners_overview(stored_counts=True)` for a list of partner ids, written out: the
    same current agreement (the same ranking), sums and stored counts, in one query. Built
    by the ORM, that query's sixteen subqueries cost some 20 ms of CPU a page, four fifths
    of what the whole page cost (issue 19); this text is built once per process.
    Parameters: per quota kind, the kind with its used entry kinds, then with its granted
    one; the ranking's four values; then the ids (the `{ids}` placeholders)."""
    q = connection.ops.quote_name
    table = {
        "partner": Partner,
        "review": BusinessReview,
        "plan": SupportPlan,
        "keys": PartnerOverviewKeys,
        "agreement": Agreement,
        "payment": Payment,
        "marketing": MarketingActivity,
        "quota": QuotaEntry,
    }
    table = {key: q(model._meta.db_table) for key, model in table.items()}
    entries = f"SELECT SUM(u.units) FROM {table['quota']} u WHERE u.agreement_id = a.id"  # noqa: S608
    quota = ",\n  ".join(
        f"({entries} AND u.quota_kind = %s AND u.entry_kind {test})"
        for _kind in _QUOTA_KINDS
        for test in ("IN (%s, %s)", "= %s")
    )
    return f"""SELECT p.id, p.name, p.standing, r.state, s.id, k.certs_this_term, k.open_requests,
  a.id, a.state, a.term_start, a.term_end, a.fee, a.currency, a.major_quota, a.minor_quota,
  a.marketing_credit,
  (SELECT SUM(x.amount) FROM {table["payment"]} x WHERE x.agreement_id = a.id),
  (SELECT SUM(x.amount) FROM {table["marketing"]} x WHERE x.agreement_id = a.id),
  {quota}
FROM {table["partner"]} p
LEFT JOIN {table["review"]} r ON r.partner_id = p.id
LEFT JOIN {table["plan"]} s ON s.partner_id = p.id
LEFT JOIN {table["keys"]} k ON k.partner_id = p.id
LEFT JOIN {table["agreement"]} a ON a.id = (
  SELECT c.id FROM {table["agreement"]} c WHERE c.partner_id = p.id
  ORDER BY CASE WHEN c.state = %s AND c.term_start <= %s AND c.term_end >= %s THEN 0
    WHEN c.state <> %s THEN 1 ELSE 2 END, c.term_start DESC, c.id DESC
  LIMIT 1)
WHERE p.id IN ({{ids}})"""  # noqa: S608 - quoted model tables; every value is a parameter


def page_rows(ids: list[int], *, today: dt.date | None = None) -> list[OverviewRow]:
    """The live figures of the partners `ids`, in that order, as `partners_overview` (with
    the stored request counts) and `PartnerRow` compute them: one query, no model
    instances (tests check the two agree)."""
    if not ids:
        return []
    today = today or timezone.localdate()
    day = connection.ops.adapt_datefield_value(today)
    params: list[Any] = []
    for kind in _QUOTA_KINDS:
        params += [kind, QuotaEntryKind.CONSUME, QuotaEntryKind.REFUND, kind, QuotaEntryKind.GRANT]
    params += [AgreementState.ACTIVE, day, day, AgreementState.CANCELLED, *ids]
    sql = _page_rows_sql().replace("{ids}", ", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    by_pk = {}
    for values in fetched:
        row = OverviewRow(zip(_PAGE_ROW_COLUMNS, values, strict=True))
        agreement = row["agreement_id"] is not None
        row["has_support_plan"] = row.pop("support_plan_id") is not None
        row["certs_this_term"] = row["certs_this_term"] or 0
        row["open_requests"] = row["open_requests"] or 0
        row["paid"] = money(row["paid"])
        row["credit_used"] = money(row["credit_used"])
        row["outstanding"] = _outstanding(row["agreement_fee"], row["paid"])
        row["fee_paid"] = agreement and row["outstanding"] == 0
        row["credit_left"] = _outstanding(row["agreement_credit"], row["credit_used"])
        for kind in _QUOTA_KINDS:  # consumed units are -1 entries, refunds +1
            used = -(row[f"{kind}_used"] or 0)
            extra = row[f"{kind}_extra"] or 0
            total = (row[f"agreement_{kind}"] or 0) + extra
            row.update({f"{kind}_used": used, f"{kind}_extra": extra, f"{kind}_total": total})
            row[f"{kind}_left"] = max(total - used, 0)
        row["renewal_due"] = _renewal_due(row["agreement_state"], row["agreement_term_end"], today)
        by_pk[row["pk"]] = row
    return [by_pk[pk] for pk in ids if pk in by_pk]
