"""Reads of the reviewers' workspace: the queue's tabs, their counts and one page of rows,
and what automatic assignment sees of each reviewer.

The queue costs the same number of queries with 10 rows or 500 (tests/perf): the four tab
counts are one query (each capped at COUNT_CAP), the page of rows one query (partner, integration, assignee
joined; last activity a subquery), the filter choices one query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from certifications import selectors as cert_selectors
from certifications import sla
from certifications.enums import OPEN_STATES, ProductArea, RequestKind, RequestState
from certifications.models import CertificationRequest, TransitionLog
from certportal import dates

PER_PAGE = 50
# What a queue row reads of a request, its integration, partner and assignee (the
# workspace's rows and the review-queue changelist's).
ROW_FIELDS = (
    "pk",
    "version",
    "kind",
    "state",
    "sla_due_at",
    "assigned_reviewer_id",
    "integration__name",
    "integration__partner__name",
    "assigned_reviewer__username",
    "assigned_reviewer__first_name",
    "assigned_reviewer__last_name",
)
KIND_LABELS = dict(RequestKind.choices)
STATE_LABELS = dict(RequestState.choices)

# (key, label) of the queue's tabs, in order.
TABS = (
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("waiting", "Waiting on partner"),
    ("open", "All open"),
)
TAB_KEYS = tuple(k for k, _ in TABS)


def tab_condition(tab: str, user: Any) -> Q:
    """Which open requests a tab holds. Drafts and closed requests are in none: every tab
    starts from OPEN_STATES. "Mine" leaves out what waits on the partner (its own tab)."""
    is_open = Q(state__in=OPEN_STATES)
    return {
        "mine": is_open
        & Q(assigned_reviewer_id=user.pk)
        & ~Q(state=RequestState.CHANGES_REQUESTED),
        "unassigned": is_open & Q(assigned_reviewer__isnull=True),
        "waiting": Q(state=RequestState.CHANGES_REQUESTED),
        "open": is_open,
    }[tab]


@dataclass(frozen=True)
class QueueFilters:
    product_area: str = ""
    kind: str = ""
    reviewer: int | None = None

    @classmethod
    def from_query(cls, params: Any, reviewer_ids: set[int]) -> QueueFilters:
        """Filters from the query string; unknown values are ignored (the page says so)."""
        area = params.get("area", "")
        kind = params.get("kind", "")
        raw = params.get("reviewer", "")
        # Only ASCII digits: "²".isdigit() is true but int() refuses it.
        wanted = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
        reviewer = wanted if wanted in reviewer_ids else None
        return cls(
            product_area=area if area in ProductArea.values else "",
            kind=kind if kind in RequestKind.values else "",
            reviewer=reviewer,
        )

    def q(self) -> Q:
        q = Q()
        if self.product_area:
            q &= Q(integration__product_area=self.product_area)
        if self.kind:
            q &= Q(kind=self.kind)
        if self.reviewer is not None:
            q &= Q(assigned_reviewer_id=self.reviewer)
        return q

    def as_query(self) -> dict[str, str]:
        out = {}
        if self.product_area:
            out["area"] = self.product_area
        if self.kind:
            out["kind"] = self.kind
        if self.reviewer is not None:
            out["reviewer"] = str(self.reviewer)
        return out


def queue_base(user: Any) -> QuerySet[CertificationRequest]:
    return cert_selectors.requests_for(user=user)


# Tabs count at most this many requests (the page says "2000+"), as the changelist's
# paginator does: a count costs O(cap), not O(open requests), however long the queue grows.
COUNT_CAP = 2000


def tab_counts(user: Any, filters: QueueFilters) -> dict[str, int]:
    """Each tab's count under the filters, capped at COUNT_CAP + 1, in one query: one
    scalar subquery per tab, each counting an index range stopped by LIMIT."""
    parts, params = [], []
    for key in TAB_KEYS:
        capped = (
            queue_base(user)
            .filter(tab_condition(key, user) & filters.q())
            .select_related(None)
            .order_by()
            .values("pk")[: COUNT_CAP + 1]
        )
        sql, sub_params = capped.query.sql_with_params()
        # Django-compiled SQL with its parameters kept apart; `key` is one of TAB_KEYS.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS {key}_rows)")  # noqa: S608
        params.extend(sub_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(TAB_KEYS, (int(n) for n in row), strict=True))


@dataclass
class QueueRow:
    """One row of the queue as the row template prints it: plain texts, no model instance
    (the page reads 50 rows as values, a fifth of what building the models costs)."""

    pk: str
    integration: str
    partner: str
    version: str
    kind: str
    state: str
    reviewer: str  # "" when unassigned
    sla_status: str
    sla_label: str
    sla_text: str
    due: str  # "2 Dec", "" without a due date
    last_activity: str  # "2 Dec 2026 15:45", "" without one
    can_claim: bool
    sla_badge: str = ""
    change_url: str = ""
    claim_url: str = ""


def _sla_text(status: str, due_at: dt.datetime | None, now: dt.datetime) -> str:
    if status == sla.PAUSED:
        return "Paused"
    if status == sla.STOPPED or due_at is None:
        return "—"
    days = sla.days_left(due_at, now)
    if status == sla.OVERDUE or (days is not None and days < 0):
        late = max(-(days or 0), 0)
        return "Overdue today" if late == 0 else f"{late} day{'s' if late != 1 else ''} overdue"
    return f"{days} day{'s' if days != 1 else ''} left"


def queue_rows(
    user: Any, tab: str, filters: QueueFilters, *, page: int, can_claim: bool
) -> list[QueueRow]:
    """One page of a tab, ordered by SLA due date (no due date last), with the last
    activity (newest timeline row) of each request."""
    last_activity = (
        TransitionLog.objects.filter(request=OuterRef("pk")).order_by("-at").values("at")[:1]
    )
    start = (page - 1) * PER_PAGE
    order = (F("sla_due_at").asc(nulls_last=True), "pk")
    tab_rows = queue_base(user).filter(tab_condition(tab, user) & filters.q())
    # The page's ids first (an index walk), then its rows with their last activity: the
    # newest-log subquery runs for the 50 rows shown, not for every row skipped before them.
    page_ids = tab_rows.select_related(None).order_by(*order).values("pk")[start : start + PER_PAGE]
    requests = (
        tab_rows.filter(pk__in=page_ids)
        .annotate(last_activity=Subquery(last_activity))
        .order_by(*order)
        .values_list(*ROW_FIELDS, "last_activity", named=True)
    )
    now = timezone.now()
    rows = []
    for r in requests:
        status = sla.status(state=r.state, due_at=r.sla_due_at, now=now)
        reviewer = ""
        if r.assigned_reviewer_id is not None:
            full = f"{r.assigned_reviewer__first_name} {r.assigned_reviewer__last_name}".strip()
            reviewer = full or r.assigned_reviewer__username
        rows.append(
            QueueRow(
                pk=str(r.pk),
                integration=r.integration__name,
                partner=r.integration__partner__name,
                version=r.version,
                kind=KIND_LABELS.get(r.kind, r.kind),
                state=STATE_LABELS.get(r.state, r.state),
                reviewer=reviewer,
                sla_status=status,
                sla_label=sla.STATUS_LABELS[status],
                sla_text=_sla_text(status, r.sla_due_at, now),
                due=dates.day_month(r.sla_due_at),
                last_activity=dates.day_month_year_time(r.last_activity),
                can_claim=can_claim and r.assigned_reviewer_id is None,
            )
        )
    return rows
