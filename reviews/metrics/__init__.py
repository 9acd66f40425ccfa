"""Program metrics for partner managers, read from a summary kept incrementally.

The figures come from reviews.metrics.store's cells (a few thousand rows whatever the
number of requests, kept at the cost of what changed since the last refresh); only the
SLA breaches (an indexed, limited query) and the partner-level funnel stages (applications,
agreements, listings: one row per partner or integration) are read live.

Filters work at month granularity: a date range covers the whole months it touches (the
filter form says so). Medians and 90th percentiles are within 2 % of the exact
percentile_cont (duration buckets 2 % wide; exact when a bucket holds one value)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from certifications.enums import (
    CERTIFIED_STATES,
    VENDOR_STATES,
    ProductArea,
    RequestKind,
    RequestState,
)
from certifications.models import CertificationRequest, Listing
from certportal import pagecache
from partners.models import Agreement, ProgramApplication
from reviews.metrics import store
from reviews.metrics.models import MetricsCell
from reviews.metrics.store import CHANGES_TRANSITIONS, LOAD_STATES, STAGES

__all__ = ["CHANGES_TRANSITIONS", "LOAD_STATES", "STAGES"]

FRACTIONS = (0.5, 0.9)
PRECISION = store.BUCKET_RATIO - 1


# --- Percentiles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """Durations of one group, in seconds."""

    group: str
    count: int
    median: float | None
    p90: float | None

    @property
    def median_days(self) -> float | None:
        return None if self.median is None else self.median / 86400

    @property
    def p90_days(self) -> float | None:
        return None if self.p90 is None else self.p90 / 86400


def percentile(values: list[float], fraction: float) -> float | None:
    """percentile_cont in Python (linear interpolation), for checks and small lists."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    data = sorted(values)
    pos = fraction * (len(data) - 1)
    low = int(pos)
    high = min(low + 1, len(data) - 1)
    return data[low] + (pos - low) * (data[high] - data[low])


def spread_of(group: str, buckets: list[tuple[int, int, int]]) -> Spread:
    """Median and p90 from duration buckets (bucket, count, total ms): percentile_cont's
    interpolation between ranks, each rank's value the mean of its bucket."""
    buckets = sorted(b for b in buckets if b[1] > 0)
    total = sum(n for _b, n, _ms in buckets)
    if not total:
        return Spread(group, 0, None, None)

    def value(rank: int) -> float:
        for _bucket, n, ms in buckets:
            if rank < n:
                return ms / n / 1000
            rank -= n
        return buckets[-1][2] / buckets[-1][1] / 1000

    values = []
    for fraction in FRACTIONS:
        pos = fraction * (total - 1)
        low = int(pos)
        v = value(low)
        if pos > low:
            v += (pos - low) * (value(low + 1) - v)
        values.append(v)
    return Spread(group, total, *values)


# --- What the figures cover: a date range and a product area --------------------------------


def _month_number(day: dt.date) -> int:
    return day.year * 100 + day.month


@dataclass(frozen=True)
class Scope:
    """The metrics page's filters. `start`/`end` bound when requests were submitted (and
    when certificates were issued), at month granularity: the range covers every month it
    touches. `area` is an integration product area. The default scope (no filter) is the
    one the beat task keeps fresh."""

    start: dt.date | None = None
    end: dt.date | None = None
    area: str = ""

    @property
    def is_default(self) -> bool:
        return self.start is None and self.end is None and not self.area

    @property
    def key(self) -> str:
        return f"{self.month_range()}:{self.area}"

    def month_range(self) -> tuple[int | None, int | None]:
        """The first and last month (YYYYMM) covered, None where open."""
        return (
            _month_number(self.start) if self.start else None,
            _month_number(self.end) if self.end else None,
        )

    def _bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        def aware(day: dt.date) -> dt.datetime:
            return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

        def next_month(day: dt.date) -> dt.date:
            return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)

        return (
            aware(self.start.replace(day=1)) if self.start else None,
            aware(next_month(self.end)) if self.end else None,
        )

    def months_q(self) -> Q:
        """Which summary cells the range reads: the rolled-up ones (month 0) without a
        range, else the months in it."""
        lo, hi = self.month_range()
        if lo is None and hi is None:
            return Q(month=0)
        q = Q(month__gt=0)
        if lo is not None:
            q &= Q(month__gte=lo)
        if hi is not None:
            q &= Q(month__lte=hi)
        return q

    def requests(self) -> QuerySet[CertificationRequest]:
        qs = CertificationRequest.objects.all()
        if self.area:
            qs = qs.filter(integration__product_area=self.area)
        lo, hi = self._bounds()
        if lo:
            qs = qs.filter(submitted_at__gte=lo)
        if hi:
            qs = qs.filter(submitted_at__lt=hi)
        return qs

    def dated(self, qs: QuerySet, field: str, *, area_path: str = "") -> QuerySet:
        """`qs` restricted to rows whose `field` falls in the range (and whose integration,
        reached through `area_path`, is in the area)."""
        lo, hi = self._bounds()
        if lo:
            qs = qs.filter(**{f"{field}__gte": lo})
        if hi:
            qs = qs.filter(**{f"{field}__lt": hi})
        if self.area and area_path:
            qs = qs.filter(**{area_path: self.area})
        return qs


ALL = Scope()


@dataclass(frozen=True)
class Rate:
    group: str
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(100 * self.rate)


@dataclass(frozen=True)
class Breach:
    request_id: int
    partner: str
    integration: str
    version: str
    kind: str
    state: str
    target_days: int
    days_over: float


def sla_breaches(scope: Scope = ALL, *, limit: int = 20) -> list[Breach]:
    """Requests over their SLA target, worst first: certified ones whose vendor-side time
    exceeded it, and open ones past their due date."""
    now = timezone.now()
    rows = (
        scope.requests()
        .filter(
            Q(
                state__in=CERTIFIED_STATES,
                sla_elapsed_seconds__gt=F("sla_target_days") * 86400,
            )
            | Q(state__in=VENDOR_STATES, sla_due_at__lt=now)
        )
        .order_by("sla_due_at", "pk")
        .values(
            "pk",
            "kind",
            "state",
            "version",
            "sla_target_days",
            "sla_elapsed_seconds",
            "sla_due_at",
            integration_name=F("integration__name"),
            partner_name=F("integration__partner__name"),
        )[: limit * 5]
    )
    kinds, states = dict(RequestKind.choices), dict(RequestState.choices)
    breaches = []
    for r in rows:
        if r["state"] in CERTIFIED_STATES:
            over = r["sla_elapsed_seconds"] / 86400 - r["sla_target_days"]
        else:
            over = (now - r["sla_due_at"]).total_seconds() / 86400
        breaches.append(
            Breach(
                r["pk"],
                r["partner_name"],
                r["integration_name"],
                r["version"],
                kinds.get(r["kind"], r["kind"]),
                states.get(r["state"], r["state"]),
                r["sla_target_days"],
                round(over, 1),
            )
        )
    breaches.sort(key=lambda b: (-b.days_over, b.request_id))
    return breaches[:limit]


# --- The figures, from the summary's cells ---------------------------------------------------

ROUNDS = 4
MAX_MONTHS = 24
MAIN_METRICS = ("state", "sla", "load", "bounce", "stage", "turn")


@dataclass(frozen=True)
class Load:
    reviewer: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# The funnel, partner by partner: each stage is a query of the partners that reached it.
# Stages run in order; the application stage (partners.ProgramApplication) goes first.
FUNNEL_STAGES: list[tuple[str, str, Any]] = [
    (
        "applied",
        "Applied to the program",
        lambda s: s.dated(ProgramApplication.objects.all(), "created_at").values("pk"),
    ),
    (
        "agreement_requested",
        "Agreement requested",
        lambda s: s.dated(Agreement.objects.all(), "requested_at").values("partner_id"),
    ),
    (
        "agreement_active",
        "Agreement active",
        lambda s: s.dated(
            Agreement.objects.filter(activated_at__isnull=False), "activated_at"
        ).values("partner_id"),
    ),
    ("request_submitted", "Version submitted", lambda s: _partners_in(s, "fsub")),
    ("certified", "Certified", lambda s: _partners_in(s, "fcert")),
    (
        "published",
        "Listed on the marketplace",
        lambda s: s.dated(
            Listing.objects.all(), "published_at", area_path="integration__product_area"
        ).values("integration__partner_id"),
    ),
]


def _counts(querysets: list[QuerySet]) -> list[int]:
    """The row count of each queryset, all in one round trip (a scalar subquery each)."""
    parts, params = [], []
    for i, qs in enumerate(querysets):
        sql, p = qs.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) c{i})")  # noqa: S608 - ORM SQL
        params.extend(p)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [int(n) for n in cursor.fetchone()]


def _month_firsts(scope: Scope, months: int, today: dt.date | None) -> list[dt.date]:
    today = scope.end or today or timezone.localdate()
    if scope.start:
        months = (today.year - scope.start.year) * 12 + today.month - scope.start.month + 1
        months = max(1, min(months, MAX_MONTHS))
    firsts = []
    year, month = today.year, today.month
    for _ in range(months):
        firsts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    return firsts


def _cells(scope: Scope, firsts: list[dt.date]) -> list[tuple]:
    """The scope's cells (metric, month, kind, key, n, total_ms): one query."""
    months = [_month_number(m) for m in firsts]
    return list(
        MetricsCell.objects.filter(area=scope.area or "")
        .exclude(n=0)
        .filter(
            (Q(metric__in=MAIN_METRICS) & scope.months_q()) | Q(metric="cert", month__in=months)
        )
        .values_list("metric", "month", "kind", "key", "n", "total_ms")
    )


def _partners_in(scope: Scope, metric: str) -> QuerySet:
    """The distinct partners of a funnel metric's cells in the scope (a partner counted in
    several months is counted once)."""
    return (
        MetricsCell.objects.filter(scope.months_q(), area=scope.area or "", metric=metric, n__gt=0)
        .values("key")
        .distinct()
    )


def _reviewer_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    users = (
        get_user_model()
        .objects.filter(pk__in=ids)
        .values_list("pk", "username", "first_name", "last_name")
    )
    return {pk: f"{first} {last}".strip() or username for pk, username, first, last in users}


def _figures(scope: Scope) -> dict:
    """Every figure of the metrics page from the (caught-up) summary: four queries."""
    firsts = _month_firsts(scope, 12, None)
    per_state: dict[str, int] = defaultdict(int)
    sla_hits: dict[str, int] = defaultdict(int)
    sla_total: dict[str, int] = defaultdict(int)
    load: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    bounce: dict[tuple[str, int], int] = defaultdict(int)
    buckets: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    certs: dict[int, int] = defaultdict(int)
    for metric, month, kind, key, n, ms in _cells(scope, firsts):
        if metric == "state":
            per_state[key] += n
        elif metric == "sla":
            sla_total[kind] += n
            if key == "hit":
                sla_hits[kind] += n
        elif metric == "load":
            reviewer, _sep, state = key.rpartition(":")
            load[int(reviewer) if reviewer else None][state] += n
        elif metric == "bounce":
            bounce[(kind, int(key))] += n
        elif metric == "stage":
            stage, _sep, bucket = key.rpartition(":")
            for group in (f"{kind}:{stage}", f":{stage}"):
                cell = buckets[group][int(bucket)]
                cell[0] += n
                cell[1] += ms
        elif metric == "turn":
            cell = buckets[f"turnaround:{kind}"][int(key)]
            cell[0] += n
            cell[1] += ms
        elif metric == "cert":
            certs[month] += n
    spreads = {
        group: spread_of(group, [(b, n, ms) for b, (n, ms) in cells.items()])
        for group, cells in buckets.items()
    }
    funnel_qs = [stage(scope).order_by().distinct() for _slug, _label, stage in FUNNEL_STAGES]
    funnel_counts = _counts(funnel_qs)
    histogram = [(kind, b, n) for (kind, b), n in bounce.items()]
    by_kind = stage_times_by_kind(spreads=spreads)
    names = _reviewer_names({rid for rid in load if rid is not None})
    loads = [
        Load(names.get(rid, str(rid)), dict(counts))
        for rid, counts in load.items()
        if rid is not None
    ]
    loads.sort(key=lambda item: (-item.total, item.reviewer))
    if None in load:
        loads.append(Load("Unassigned", dict(load[None])))
    return {
        "scope": scope,
        "per_state": [(s.value, s.label, per_state.get(s.value, 0)) for s in RequestState],
        "stage_times": [
            Spread(str(stage), s.count, s.median, s.p90)
            for stage, s in zip(STAGES, by_kind[""], strict=True)
        ],
        "stage_times_by_kind": {k: v for k, v in by_kind.items() if k},
        "turnaround": turnaround_by_kind(spreads=spreads),
        "sla_hits": [
            Rate(kind, sla_hits.get(kind, 0), sla_total.get(kind, 0)) for kind in RequestKind.values
        ],
        "sla_breaches": sla_breaches(scope),
        "bounces": bounce_rate_by_kind(histogram=histogram),
        "bounce_rounds": bounce_rate_by_round(histogram=histogram),
        "reviewer_load": loads,
        "funnel": funnel(counts=funnel_counts),
        "per_month": [(m, certs.get(_month_number(m), 0)) for m in firsts],
    }


def stage_times_by_kind(
    scope: Scope = ALL, *, spreads: dict | None = None
) -> dict[str, list[Spread]]:
    """Median and 90th percentile time spent in each stage (completed stays only), for
    every request kind and for all kinds together (key "")."""
    if spreads is None:
        data = all_metrics(scope)
        return {"": data["stage_times"], **data["stage_times_by_kind"]}
    empty = Spread("", 0, None, None)
    return {
        kind: [
            Spread(str(stage), s.count, s.median, s.p90)
            for stage in STAGES
            for s in [spreads.get(f"{kind}:{stage}", empty)]
        ]
        for kind in ["", *RequestKind.values]
    }


def stage_times(scope: Scope = ALL) -> list[Spread]:
    """Median and 90th percentile time spent in each stage, all kinds together."""
    return all_metrics(scope)["stage_times"]


def turnaround_by_kind(scope: Scope = ALL, *, spreads: dict | None = None) -> list[Spread]:
    """Submission to certification, per request kind."""
    if spreads is None:
        return all_metrics(scope)["turnaround"]
    return [
        Spread(kind, s.count, s.median, s.p90)
        for kind in RequestKind.values
        for s in [spreads.get(f"turnaround:{kind}", Spread(kind, 0, None, None))]
    ]


def requests_per_state(scope: Scope = ALL) -> list[tuple[str, str, int]]:
    return all_metrics(scope)["per_state"]


def sla_hit_rate_by_kind(scope: Scope = ALL) -> list[Rate]:
    """Certified requests whose vendor-side time stayed within the SLA target."""
    return all_metrics(scope)["sla_hits"]


def bounce_rate_by_kind(
    scope: Scope = ALL, *, histogram: list[tuple[str, int, int]] | None = None
) -> list[Rate]:
    """Changes requested per submitted request."""
    if histogram is None:
        return all_metrics(scope)["bounces"]
    bounced: dict[str, int] = {}
    submitted: dict[str, int] = {}
    for kind, b, n in histogram:
        bounced[kind] = bounced.get(kind, 0) + b * n
        submitted[kind] = submitted.get(kind, 0) + n
    return [Rate(kind, bounced.get(kind, 0), submitted.get(kind, 0)) for kind in RequestKind.values]


def bounce_rate_by_round(
    scope: Scope = ALL, *, histogram: list[tuple[str, int, int]] | None = None
) -> list[Rate]:
    """Round n is the n-th time the reviewers look at a request: of the requests that
    reached it (sent back n - 1 times), how many were sent back again."""
    if histogram is None:
        return all_metrics(scope)["bounce_rounds"]
    rates = []
    for n in range(1, ROUNDS + 1):
        reached = sum(c for _k, b, c in histogram if b >= n - 1)
        sent_back = sum(c for _k, b, c in histogram if b >= n)
        rates.append(Rate(f"Round {n}", sent_back, reached))
    return rates


def reviewer_load(scope: Scope = ALL) -> list[Load]:
    """Open requests on each reviewer's desk by stage (unassigned ones last)."""
    return all_metrics(scope)["reviewer_load"]


def funnel(scope: Scope = ALL, *, counts: list[int] | None = None) -> list[Rate]:
    """Partners that reached each stage (numerator) out of those at the first stage."""
    if counts is None:
        return all_metrics(scope)["funnel"]
    first = counts[0] if counts else 0
    return [
        Rate(label, int(n), int(first))
        for (_slug, label, _stage), n in zip(FUNNEL_STAGES, counts, strict=True)
    ]


def certifications_per_month(
    scope: Scope = ALL, *, months: int = 12, today: dt.date | None = None
) -> list:
    """Certificates issued per calendar month (the last 12, or the months of the range)."""
    if months == 12 and today is None:
        return all_metrics(scope)["per_month"]
    firsts = _month_firsts(scope, months, today)
    wanted = [_month_number(m) for m in firsts]
    counts: dict[int, int] = defaultdict(int)
    for month, n in MetricsCell.objects.filter(
        metric="cert", area=scope.area or "", month__in=wanted
    ).values_list("month", "n"):
        counts[month] += n
    return [(m, counts.get(_month_number(m), 0)) for m in firsts]


# --- Keeping and serving the summary ------------------------------------------------------------


def all_metrics(scope: Scope = ALL) -> dict:
    """Every figure of the metrics page, after applying the changes recorded since the last
    refresh: O(changes) plus a bounded read of the summary, whatever the data size."""
    store.catch_up()
    return _figures(scope)


SUMMARY_CACHE_KEY = "certportal:metrics-summary:v3"
PAGE_SCOPE = "metrics"


def _cache_key(scope: Scope) -> str:
    return SUMMARY_CACHE_KEY if scope.is_default else f"{SUMMARY_CACHE_KEY}:{scope.key}"


def refresh_summary(scope: Scope = ALL, *, bump: bool = True) -> dict:
    """Catch the summary up with what changed and store the scope's figures for the
    metrics page; the beat task ``certportal.reviews.refresh_metrics`` calls this on a
    schedule for the unfiltered page (a filtered view is stored on first use for the same
    time). The metrics page's page-cache scope is bumped so it shows the new figures (not
    when the page itself computes a missing summary while it is drawn: `bump=False`)."""
    data = {**all_metrics(scope), "computed_at": timezone.now()}
    seconds = settings.METRICS_SUMMARY_SECONDS
    if seconds > 0:
        cache.set(_cache_key(scope), data, timeout=seconds)
        if bump:
            pagecache.bump(PAGE_SCOPE)
    return data


def summary(scope: Scope = ALL) -> dict:
    """The metrics page's figures: the stored summary when one is fresh (production keeps
    it for METRICS_SUMMARY_SECONDS and the beat task refreshes it), otherwise computed now
    (which costs what changed since the last refresh, not the size of the data)."""
    if settings.METRICS_SUMMARY_SECONDS <= 0:
        return {**all_metrics(scope), "computed_at": None}
    data = cache.get(_cache_key(scope))
    return data if data is not None else refresh_summary(scope, bump=False)


def page_scopes() -> list[str]:
    """The metrics page's page-cache scopes: its stored summary's (bumped at each refresh),
    or, when the figures are computed on every view, every program write."""
    return [PAGE_SCOPE] if settings.METRICS_SUMMARY_SECONDS > 0 else ["program"]


AREAS = ProductArea.choices
