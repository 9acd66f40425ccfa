"""Reads of the partners app, scoped to the user where they serve a page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from certportal import roles, sqlread
from partners.enums import AgreementState, MemberRole, QuotaEntryKind, QuotaKind
from partners.models import (
    Agreement,
    BusinessReview,
    MarketingActivity,
    Membership,
    Partner,
    Payment,
    ProgramApplication,
    QuotaEntry,
    SupportPlan,
)


def partners_for(*, user: Any) -> QuerySet[Partner]:
    """Partners a person may see: members see their own; vendor staff see all."""
    if roles.is_vendor_staff(user):
        return Partner.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Partner.objects.none()
    return Partner.objects.filter(memberships__user=user)


def memberships_for(*, user: Any) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("partner").order_by("partner__name")


def memberships_list(*, user_id: int) -> list[Membership]:
    """`memberships_for` as a list, in one hand-written statement (the portal reads it on
    every page; certportal.sqlread): each membership with its partner, by partner name."""
    sql = (
        f"SELECT {sqlread.columns(Membership, 'm')}, {sqlread.columns(Partner, 'p')} "  # noqa: S608 (no values in the SQL)
        'FROM "partners_membership" "m" '
        'INNER JOIN "partners_partner" "p" ON ("m"."partner_id" = "p"."id") '
        'WHERE "m"."user_id" = %s ORDER BY "p"."name" ASC, "m"."id" ASC'
    )
    start = sqlread.width(Membership)
    memberships = []
    for row in sqlread.fetch_all(sql, [user_id]):
        membership = sqlread.instance(Membership, row)
        membership.partner = sqlread.instance(Partner, row, start)
        memberships.append(membership)
    return memberships


def agreement_in_force(*, partner: Partner | int, on: dt.date | None = None) -> Agreement | None:
    """The active agreement whose term covers `on` (today by default), or whose term
    ended less than AGREEMENT_GRACE_DAYS before it (the renewal grace period)."""
    on = on or timezone.localdate()
    partner_id = partner if isinstance(partner, int) else partner.pk
    return (
        Agreement.objects.filter(
            partner_id=partner_id,
            state=AgreementState.ACTIVE,
            term_start__lte=on,
            term_end__gte=on - dt.timedelta(days=settings.AGREEMENT_GRACE_DAYS),
        )
        .order_by("-term_start")
        .first()
    )


def agreement_in_force_with_totals(*, partner: Partner | int) -> Agreement | None:
    """`agreement_in_force` with, in the same statement, all a partner's dashboard shows of
    it: `paid` and `credit_used` (what `money_summary` reads), `<kind>_used` and
    `<kind>_extra` per quota kind (what `quota_summary` reads, as `quota_totals` and the
    ledger define them) and the partner's `review_state` and `has_plan`
    (`eligibility_facts`). Written by hand (certportal.sqlread): as a queryset its eight
    subqueries cost more CPU to build than the page's other reads together."""
    today = timezone.localdate()
    partner_id = partner if isinstance(partner, int) else partner.pk
    ops = connection.ops
    quota_columns, quota_params = [], []
    for kind in QuotaKind.values:
        for entry_kinds in (
            (QuotaEntryKind.CONSUME, QuotaEntryKind.REFUND),
            (QuotaEntryKind.GRANT,),
        ):
            quota_columns.append(
                'COALESCE((SELECT SUM("q"."units") FROM "partners_quotaentry" "q" '  # noqa: S608 (no values in the SQL)
                'WHERE "q"."agreement_id" = "a"."id" AND "q"."quota_kind" = %s '
                f'AND "q"."entry_kind" IN ({sqlread.placeholders(entry_kinds)})), 0)'
            )
            quota_params += [kind, *entry_kinds]
    sql = (
        f"SELECT {sqlread.columns(Agreement, 'a')}, "  # noqa: S608 (no values in the SQL)
        'COALESCE((SELECT SUM("p"."amount") FROM "partners_payment" "p" '
        'WHERE "p"."agreement_id" = "a"."id"), 0), '
        'COALESCE((SELECT SUM("m"."amount") FROM "partners_marketingactivity" "m" '
        'WHERE "m"."agreement_id" = "a"."id"), 0), '
        '(SELECT "b"."state" FROM "partners_businessreview" "b" '
        'WHERE "b"."partner_id" = "a"."partner_id" LIMIT 1), '
        'EXISTS(SELECT 1 FROM "partners_supportplan" "s" WHERE "s"."partner_id" = "a"."partner_id"), '
        f"{', '.join(quota_columns)} "
        'FROM "partners_agreement" "a" '
        'WHERE "a"."partner_id" = %s AND "a"."state" = %s '
        'AND "a"."term_start" <= %s AND "a"."term_end" >= %s '
        'ORDER BY "a"."term_start" DESC LIMIT 1'
    )
    params = [
        *quota_params,
        partner_id,
        AgreementState.ACTIVE,
        ops.adapt_datefield_value(today),
        ops.adapt_datefield_value(today - dt.timedelta(days=settings.AGREEMENT_GRACE_DAYS)),
    ]
    row = sqlread.fetch_one(sql, params)
    if row is None:
        return None
    agreement = sqlread.instance(Agreement, row)
    paid, credit_used, review_state, has_plan, *quota = row[sqlread.width(Agreement) :]
    agreement.paid, agreement.credit_used = money(paid), money(credit_used)
    agreement.review_state, agreement.has_plan = review_state, bool(has_plan)
    for index, kind in enumerate(QuotaKind.values):
        used, extra = quota[2 * index : 2 * index + 2]
        setattr(agreement, f"{kind}_used", -int(used))
        setattr(agreement, f"{kind}_extra", int(extra))
    return agreement


def eligibility_facts(partner: OuterRef | int) -> dict[str, Any]:
    """Annotations `review_state` (the business review's, or None) and `has_plan` (a
    support plan exists) of the partner `partner` points at."""
    return {
        "review_state": Subquery(
            BusinessReview.objects.filter(partner=partner).values("state")[:1]
        ),
        "has_plan": Exists(SupportPlan.objects.filter(partner=partner)),
    }


def agreement_current(*, partner: Partner) -> Agreement | None:
    """The agreement a partner should look at: in force, else the newest open one, else the
    newest of any state."""
    return (
        agreement_in_force(partner=partner)
        or partner.agreements.exclude(state=AgreementState.CANCELLED)
        .order_by("-term_start")
        .first()
        or partner.agreements.order_by("-term_start").first()
    )


@dataclass(frozen=True)
class QuotaLine:
    kind: str
    included: int
    extra: int
    used: int

    @property
    def total(self) -> int:
        return self.included + self.extra

    @property
    def left(self) -> int:
        return max(self.total - self.used, 0)

    @property
    def percent_used(self) -> int:
        return min(100, round(100 * self.used / self.total)) if self.total else 100


def quota_summary(*, agreement: Agreement) -> dict[str, QuotaLine]:
    """Quota per kind derived from the ledger in one grouped query (none when the
    agreement came with the `quota_totals` annotations, as `agreements_with_totals`)."""
    included = {QuotaKind.MAJOR: agreement.major_quota, QuotaKind.MINOR: agreement.minor_quota}
    if all(hasattr(agreement, f"{kind}_used") for kind in QuotaKind.values):
        return {
            kind: QuotaLine(
                kind=kind,
                included=included[kind],
                extra=getattr(agreement, f"{kind}_extra"),
                used=getattr(agreement, f"{kind}_used"),
            )
            for kind in QuotaKind.values
        }
    # One row per (kind, entry kind): fewer expressions to build than a FILTER per pair.
    sums = {
        (kind, entry): total
        for kind, entry, total in QuotaEntry.objects.filter(agreement=agreement)
        .order_by()
        .values_list("quota_kind", "entry_kind")
        .annotate(total=Sum("units"))
    }
    return {
        kind: QuotaLine(
            kind=kind,
            included=included[kind],
            extra=sums.get((kind, QuotaEntryKind.GRANT), 0),
            used=-sums.get((kind, QuotaEntryKind.CONSUME), 0)
            - sums.get((kind, QuotaEntryKind.REFUND), 0),
        )
        for kind in QuotaKind.values
    }


def quota_left(*, agreement: Agreement, kind: str) -> int:
    return quota_summary(agreement=agreement)[kind].left


@dataclass(frozen=True)
class MoneySummary:
    fee: Decimal
    paid: Decimal
    credit: Decimal
    credit_used: Decimal

    @property
    def outstanding(self) -> Decimal:
        return max(self.fee - self.paid, Decimal("0"))

    @property
    def is_paid(self) -> bool:
        return self.paid >= self.fee

    @property
    def credit_left(self) -> Decimal:
        return max(self.credit - self.credit_used, Decimal("0"))

    @property
    def credit_percent_used(self) -> int:
        return min(100, round(100 * self.credit_used / self.credit)) if self.credit else 0


def money_summary(*, agreement: Agreement) -> MoneySummary:
    """Payments and marketing spend of one agreement, in one query (none when the agreement
    came annotated with `paid` and `credit_used`, as `agreements_with_totals` reads it)."""
    if hasattr(agreement, "paid") and hasattr(agreement, "credit_used"):
        return MoneySummary(
            fee=agreement.fee,
            paid=agreement.paid or Decimal("0"),
            credit=agreement.marketing_credit,
            credit_used=agreement.credit_used or Decimal("0"),
        )
    totals = (
        Agreement.objects.filter(pk=agreement.pk)
        .values(
            paid=sum_subquery(
                Payment.objects.filter(agreement=OuterRef("pk")), "amount", output=MONEY_FIELD
            ),
            used=sum_subquery(
                MarketingActivity.objects.filter(agreement=OuterRef("pk")),
                "amount",
                output=MONEY_FIELD,
            ),
        )
        .first()
    ) or {}
    paid = totals.get("paid") or Decimal("0")
    used = totals.get("used") or Decimal("0")
    return MoneySummary(
        fee=agreement.fee, paid=paid, credit=agreement.marketing_credit, credit_used=used
    )


# --- Who to tell: recipients of notifications (the partners app's and other apps') -----


def business_review_of(*, partner: Partner) -> BusinessReview | None:
    return BusinessReview.objects.filter(partner=partner).first()


def support_plan_of(*, partner: Partner) -> SupportPlan | None:
    return SupportPlan.objects.filter(partner=partner).first()


def members_of(*, partner: Partner) -> QuerySet[Membership]:
    """The organisation's memberships with their people, by username (the team page)."""
    return (
        Membership.objects.filter(partner=partner).select_related("user").order_by("user__username")
    )


def agreements_of(*, partner: Partner) -> QuerySet[Agreement]:
    """Every agreement of the organisation, newest term first."""
    return partner.agreements.order_by("-term_start")


def partner_admins(partner_id: int) -> list[Any]:
    """The users who are admins of partner `partner_id`, oldest membership first."""
    return [
        m.user
        for m in Membership.objects.filter(partner_id=partner_id, role=MemberRole.ADMIN)
        .select_related("user")
        .order_by("pk")
    ]


def partner_members(partner_id: int) -> list[Any]:
    """Every member of partner `partner_id` (any role), oldest membership first."""
    return [
        m.user
        for m in Membership.objects.filter(partner_id=partner_id)
        .select_related("user")
        .order_by("pk")
    ]


def partner_managers() -> list[Any]:
    """Active vendor staff in the partner-manager group, by username."""
    return list(roles.staff_in(roles.PARTNER_MANAGER))


def partner_member_counts() -> dict[int, int]:
    return dict(Partner.objects.annotate(n=Count("memberships")).values_list("pk", "n"))


# --- Totals as correlated subqueries (the managers' overview, exports) ---------------

MONEY_FIELD = DecimalField(max_digits=12, decimal_places=2)


def sum_subquery(qs: QuerySet, field: str, *, output=None):
    """A correlated SUM subquery (0 when there are no rows)."""
    output = output or IntegerField()
    grouped = (
        qs.order_by().annotate(_one=Value(1)).values("_one").annotate(t=Sum(field)).values("t")
    )
    return Coalesce(Subquery(grouped[:1], output_field=output), Value(0), output_field=output)


def count_subquery(qs: QuerySet):
    grouped = qs.order_by().annotate(_one=Value(1)).values("_one").annotate(c=Count("pk"))
    return Coalesce(Subquery(grouped.values("c")[:1]), Value(0), output_field=IntegerField())


def quota_totals(agreement: OuterRef) -> dict[str, Any]:
    """Annotations `<kind>_used` and `<kind>_extra` (granted) per quota kind for the agreement
    `agreement` points at, as correlated subqueries."""
    quota = {}
    for kind in QuotaKind.values:
        entries = QuotaEntry.objects.filter(agreement_id=agreement, quota_kind=kind)
        quota[f"{kind}_used"] = -sum_subquery(
            entries.filter(entry_kind__in=[QuotaEntryKind.CONSUME, QuotaEntryKind.REFUND]),
            "units",
        )
        quota[f"{kind}_extra"] = sum_subquery(
            entries.filter(entry_kind=QuotaEntryKind.GRANT), "units"
        )
    return quota


CENT = Decimal("0.01")


def money(value) -> Decimal:
    """Sums come back unscaled on SQLite (6500 rather than 6500.00); show them as money."""
    if isinstance(value, Decimal):  # PostgreSQL's numeric: no round trip through str
        return value.quantize(CENT)
    return Decimal(str(value or 0)).quantize(CENT)


def agreements_with_totals() -> QuerySet[Agreement]:
    """Agreements with payments, marketing credit used and quota (extra, used) per kind."""
    agreement = OuterRef("pk")
    return Agreement.objects.annotate(
        partner_name=F("partner__name"),
        paid=sum_subquery(
            Payment.objects.filter(agreement_id=agreement), "amount", output=MONEY_FIELD
        ),
        credit_used=sum_subquery(
            MarketingActivity.objects.filter(agreement_id=agreement), "amount", output=MONEY_FIELD
        ),
        **quota_totals(agreement),
    )


# --- Program applications (issue 14) ----------------------------------------------------


def applications_for(*, user: Any) -> QuerySet[ProgramApplication]:
    """Program applications a person may see: partner managers see all; nobody else any."""
    if not roles.is_partner_manager(user):
        return ProgramApplication.objects.none()
    return ProgramApplication.objects.select_related("partner", "decided_by")
