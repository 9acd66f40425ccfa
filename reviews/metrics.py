"""Program metrics for partner managers, computed in the database with aggregates.

Time spent in each stage comes from the transition log: a row's stay lasts until the
request's next logged transition (LEAD over the log, "assign" rows skipped because they do
not change the state). Percentiles use PostgreSQL's percentile_cont; on SQLite (`make run`)
the same linear interpolation is done with ROW_NUMBER/COUNT window functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Concat, Lead
from django.utils import timezone

from certifications.enums import (
    CERTIFIED_STATES,
    VENDOR_STATES,
    ProductArea,
    RequestKind,
    RequestState,
)
from certifications.models import Certificate, CertificationRequest, Listing, TransitionLog
from partners.models import Agreement, ProgramApplication

FRACTIONS = (0.5, 0.9)
STAGES = (
    RequestState.SUBMITTED,
    RequestState.USER_TESTING,
    RequestState.CODE_REVIEW,
    RequestState.DOCUMENTATION_REVIEW,
    RequestState.CHANGES_REQUESTED,
    RequestState.ON_HOLD,
)
CHANGES_TRANSITIONS = ("intake_incomplete", "ut_changes", "cr_changes", "docs_changes")
# Open requests that sit on a reviewer's desk (reviewer load).
LOAD_STATES = (
    RequestState.SUBMITTED,
    RequestState.USER_TESTING,
    RequestState.CODE_REVIEW,
    RequestState.DOCUMENTATION_REVIEW,
    RequestState.ON_HOLD,
)


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


def _seconds_between(start: str, end: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({end} - {start}))"
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def _spreads(qs: QuerySet, *, also: str = "", more: QuerySet | None = None) -> dict[str, Spread]:
    """`qs` yields values grp, t0, t1 (and the column `also` names, a second grouping);
    returns the median and 90th percentile of t1 - t0 per grp (and per `also` value),
    computed by the database. `more` (values grp, t0, t1) is added in the same statement.
    The durations are CTEs so each source is read once."""
    ctes, selects, params = [], [], []
    for i, (part, groups) in enumerate([(qs, ["grp", also]), (more, ["grp"])]):
        if part is None:
            continue
        inner, p = part.query.sql_with_params()
        params.extend(p)
        cols = ", ".join(f"d.{g} AS {g}" for g in groups if g)
        secs = _seconds_between("d.t0", "d.t1")
        ctes.append(
            f"p{i} AS (SELECT {cols}, {secs} AS secs FROM ({inner}) d WHERE d.t1 IS NOT NULL)"  # noqa: S608 - ORM SQL and constants; values are parameters
        )
        selects += [f"SELECT {g} AS grp, secs FROM p{i}" for g in groups if g]  # noqa: S608 - constants
    with_sql = "WITH " + ", ".join(ctes) + " "
    rows_sql = " UNION ALL ".join(selects)
    if connection.vendor == "postgresql":
        cols = ", ".join(f"percentile_cont({f}) WITHIN GROUP (ORDER BY x.secs)" for f in FRACTIONS)
        sql = f"{with_sql}SELECT x.grp, COUNT(*), {cols} FROM ({rows_sql}) x GROUP BY x.grp"  # noqa: S608 - built from ORM SQL and constants; values are parameters
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return {
            grp: Spread(grp, n, *(None if v is None else float(v) for v in values))
            for grp, n, *values in rows
        }
    ranked = (
        "SELECT r.grp, r.secs, ROW_NUMBER() OVER (PARTITION BY r.grp ORDER BY r.secs) AS rn, "  # noqa: S608 - constants only
        f"COUNT(*) OVER (PARTITION BY r.grp) AS cnt FROM ({rows_sql}) r"
    )
    cols = []
    for f in FRACTIONS:
        pos = f"(1 + {f} * (x.cnt - 1))"
        low = f"CAST({pos} AS INTEGER)"
        cols += [
            f"MAX(CASE WHEN x.rn = {low} THEN x.secs END)",
            f"MAX(CASE WHEN x.rn = {low} + 1 THEN x.secs END)",
            f"MAX({pos} - {low})",
        ]
    sql = f"{with_sql}SELECT x.grp, MAX(x.cnt), {', '.join(cols)} FROM ({ranked}) x GROUP BY x.grp"  # noqa: S608 - constants only
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = {}
    for grp, n, *parts in rows:
        values = []
        for i in range(len(FRACTIONS)):
            low, high, frac = parts[3 * i : 3 * i + 3]
            values.append(low if high is None or low is None else low + frac * (high - low))
        result[grp] = Spread(grp, n, *values)
    return result


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


# --- What the figures cover: a date range and a product area --------------------------------


@dataclass(frozen=True)
class Scope:
    """The metrics page's filters. `start`/`end` bound when requests were submitted (and
    when certificates were issued); `area` is an integration product area. The default
    scope (no filter) is the one the beat task keeps fresh."""

    start: dt.date | None = None
    end: dt.date | None = None
    area: str = ""

    @property
    def is_default(self) -> bool:
        return self.start is None and self.end is None and not self.area

    @property
    def key(self) -> str:
        return f"{self.start or ''}:{self.end or ''}:{self.area}"

    def _bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        def aware(day: dt.date) -> dt.datetime:
            return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

        return (
            aware(self.start) if self.start else None,
            aware(self.end + dt.timedelta(days=1)) if self.end else None,
        )

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

    def log(self) -> QuerySet[TransitionLog]:
        if self.is_default:
            return TransitionLog.objects.all()
        return TransitionLog.objects.filter(request__in=self.requests().values("pk"))

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


# --- The metrics --------------------------------------------------------------------------------


def _state_kind_counts(scope: Scope) -> list[dict]:
    """Requests per (state, kind) with how many kept their vendor-side time within the
    SLA target: requests per state and the SLA hit rate come from this one query."""
    open_desk = Q(state__in=LOAD_STATES)

    def on_desk(field: str) -> Case:
        # the reviewer only splits the open states' rows (reviewer load); other states
        # stay one row per kind
        return Case(When(open_desk, then=F(field)), default=None)

    return list(
        scope.requests()
        .order_by()
        .annotate(
            rid=on_desk("assigned_reviewer_id"),
            r_user=on_desk("assigned_reviewer__username"),
            r_first=on_desk("assigned_reviewer__first_name"),
            r_last=on_desk("assigned_reviewer__last_name"),
        )
        .values("state", "kind", "rid", "r_user", "r_first", "r_last")
        .annotate(
            n=Count("pk"),
            hits=Count("pk", filter=Q(sla_elapsed_seconds__lte=F("sla_target_days") * 86400)),
        )
    )


def requests_per_state(
    scope: Scope = ALL, *, rows: list[dict] | None = None
) -> list[tuple[str, str, int]]:
    rows = _state_kind_counts(scope) if rows is None else rows
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["state"]] = counts.get(r["state"], 0) + r["n"]
    return [(s.value, s.label, counts.get(s.value, 0)) for s in RequestState]


def stage_times_by_kind(
    scope: Scope = ALL, *, spreads: dict | None = None
) -> dict[str, list[Spread]]:
    """Median and 90th percentile time spent in each stage (completed stays only), for
    every request kind and for all kinds together (key ""), in one query."""
    spreads = _stage_spreads(scope) if spreads is None else spreads
    empty = Spread("", 0, None, None)
    return {
        kind: [
            Spread(str(stage), s.count, s.median, s.p90)
            for stage in STAGES
            for s in [spreads.get(f"{kind}:{stage}", empty)]
        ]
        for kind in ["", *RequestKind.values]
    }


def _stage_spreads(scope: Scope, *, with_turnaround: bool = False) -> dict[str, Spread]:
    log = (
        scope.log()
        .exclude(transition="assign")
        .order_by()
        .annotate(
            grp=Concat(F("request__kind"), Value(":"), F("to_state"), output_field=CharField()),
            grp_all=Concat(Value(":"), F("to_state"), output_field=CharField()),
            t0=F("at"),
            t1=Window(
                Lead("at"), partition_by=[F("request_id")], order_by=[F("at").asc(), F("id").asc()]
            ),
        )
        .values("grp", "grp_all", "t0", "t1")
    )
    return _spreads(log, also="grp_all", more=_turnaround_qs(scope) if with_turnaround else None)


def stage_times(scope: Scope = ALL) -> list[Spread]:
    """Median and 90th percentile time spent in each stage, all kinds together."""
    return [
        Spread(str(stage), s.count, s.median, s.p90)
        for stage, s in zip(STAGES, stage_times_by_kind(scope)[""], strict=True)
    ]


def _turnaround_qs(scope: Scope) -> QuerySet:
    return (
        scope.requests()
        .filter(state__in=CERTIFIED_STATES, submitted_at__isnull=False, closed_at__isnull=False)
        .order_by()
        .annotate(
            grp=Concat(Value("turnaround:"), F("kind"), output_field=CharField()),
            t0=F("submitted_at"),
            t1=F("closed_at"),
        )
        .values("grp", "t0", "t1")
    )


def turnaround_by_kind(scope: Scope = ALL, *, spreads: dict | None = None) -> list[Spread]:
    """Submission to certification, per request kind."""
    spreads = _spreads(_turnaround_qs(scope)) if spreads is None else spreads
    return [
        Spread(kind, s.count, s.median, s.p90)
        for kind in RequestKind.values
        for s in [spreads.get(f"turnaround:{kind}", Spread(kind, 0, None, None))]
    ]


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


def sla_hit_rate_by_kind(scope: Scope = ALL, *, rows: list[dict] | None = None) -> list[Rate]:
    """Certified requests whose vendor-side time stayed within the SLA target."""
    rows = _state_kind_counts(scope) if rows is None else rows
    hits: dict[str, int] = {}
    total: dict[str, int] = {}
    for r in rows:
        if r["state"] in CERTIFIED_STATES:
            hits[r["kind"]] = hits.get(r["kind"], 0) + r["hits"]
            total[r["kind"]] = total.get(r["kind"], 0) + r["n"]
    return [Rate(kind, hits.get(kind, 0), total.get(kind, 0)) for kind in RequestKind.values]


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


def _bounce_histogram(scope: Scope) -> list[tuple[str, int, int]]:
    """(kind, changes requested, requests) over submitted requests, in one grouped query."""
    inner = (
        scope.requests()
        .filter(submitted_at__isnull=False)
        .order_by()
        .values("pk", "kind")
        .annotate(b=Count("log", filter=Q(log__transition__in=CHANGES_TRANSITIONS)))
        .values("kind", "b")
    )
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT h.kind, h.b, COUNT(*) FROM ({sql}) h GROUP BY h.kind, h.b",  # noqa: S608 - ORM SQL; values are parameters
            params,
        )
        return [(kind, int(b), int(n)) for kind, b, n in cursor.fetchall()]


def bounce_rate_by_kind(
    scope: Scope = ALL, *, histogram: list[tuple[str, int, int]] | None = None
) -> list[Rate]:
    """Changes requested per submitted request."""
    histogram = _bounce_histogram(scope) if histogram is None else histogram
    bounced: dict[str, int] = {}
    submitted: dict[str, int] = {}
    for kind, b, n in histogram:
        bounced[kind] = bounced.get(kind, 0) + b * n
        submitted[kind] = submitted.get(kind, 0) + n
    return [Rate(kind, bounced.get(kind, 0), submitted.get(kind, 0)) for kind in RequestKind.values]


ROUNDS = 4


def bounce_rate_by_round(
    scope: Scope = ALL, *, histogram: list[tuple[str, int, int]] | None = None
) -> list[Rate]:
    """Round n is the n-th time the reviewers look at a request: of the requests that
    reached it (sent back n - 1 times), how many were sent back again."""
    histogram = _bounce_histogram(scope) if histogram is None else histogram
    rates = []
    for n in range(1, ROUNDS + 1):
        reached = sum(c for _k, b, c in histogram if b >= n - 1)
        sent_back = sum(c for _k, b, c in histogram if b >= n)
        rates.append(Rate(f"Round {n}", sent_back, reached))
    return rates


@dataclass(frozen=True)
class Load:
    reviewer: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def reviewer_load(scope: Scope = ALL, *, rows: list[dict] | None = None) -> list[Load]:
    """Open requests on each reviewer's desk by stage (unassigned ones last)."""
    rows = _state_kind_counts(scope) if rows is None else rows
    people: dict[int | None, tuple[str, dict[str, int]]] = {}
    for r in rows:
        if r["state"] not in LOAD_STATES:
            continue
        rid = r["rid"]
        if rid is None:
            name = "Unassigned"
        else:
            name = f"{r['r_first'] or ''} {r['r_last'] or ''}".strip() or r["r_user"]
        counts = people.setdefault(rid, (name, {}))[1]
        counts[r["state"]] = counts.get(r["state"], 0) + r["n"]
    loads = [Load(name, counts) for rid, (name, counts) in people.items() if rid is not None]
    loads.sort(key=lambda load: (-load.total, load.reviewer))
    if None in people:
        loads.append(Load("Unassigned", people[None][1]))
    return loads


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
    (
        "request_submitted",
        "Version submitted",
        lambda s: s.requests().filter(submitted_at__isnull=False).values("integration__partner_id"),
    ),
    (
        "certified",
        "Certified",
        lambda s: s.dated(
            Certificate.objects.all(),
            "issued_at",
            area_path="request__integration__product_area",
        ).values("request__integration__partner_id"),
    ),
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


def _funnel_querysets(scope: Scope) -> list[QuerySet]:
    return [stage(scope).order_by().distinct() for _slug, _label, stage in FUNNEL_STAGES]


def funnel(scope: Scope = ALL, *, counts: list[int] | None = None) -> list[Rate]:
    """Partners that reached each stage (numerator) out of those at the first stage."""
    counts = _counts(_funnel_querysets(scope)) if counts is None else counts
    first = counts[0] if counts else 0
    return [
        Rate(label, int(n), int(first))
        for (_slug, label, _stage), n in zip(FUNNEL_STAGES, counts, strict=True)
    ]


MAX_MONTHS = 24


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


def _month_querysets(scope: Scope, firsts: list[dt.date]) -> list[QuerySet]:
    def aware(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    issued = Certificate.objects.order_by()
    if scope.area:
        issued = issued.filter(request__integration__product_area=scope.area)
    ends = [*firsts[1:], (firsts[-1] + dt.timedelta(days=32)).replace(day=1)]
    return [
        issued.filter(issued_at__gte=aware(lo), issued_at__lt=aware(hi)).values("pk")
        for lo, hi in zip(firsts, ends, strict=True)
    ]


def certifications_per_month(
    scope: Scope = ALL,
    *,
    months: int = 12,
    today: dt.date | None = None,
    counts: list[int] | None = None,
) -> list:
    """Certificates issued per calendar month (the last 12, or the months of the range)."""
    firsts = _month_firsts(scope, months, today)
    counts = _counts(_month_querysets(scope, firsts)) if counts is None else counts
    return list(zip(firsts, counts, strict=True))


def all_metrics(scope: Scope = ALL) -> dict:
    """Every figure of the metrics page: six queries whatever the data size."""
    state_kind = _state_kind_counts(scope)
    histogram = _bounce_histogram(scope)
    spreads = _stage_spreads(scope, with_turnaround=True)
    by_kind = stage_times_by_kind(spreads=spreads)
    firsts = _month_firsts(scope, 12, None)
    funnel_qs = _funnel_querysets(scope)
    counts = _counts([*funnel_qs, *_month_querysets(scope, firsts)])
    return {
        "scope": scope,
        "per_state": requests_per_state(rows=state_kind),
        "stage_times": [
            Spread(str(stage), s.count, s.median, s.p90)
            for stage, s in zip(STAGES, by_kind[""], strict=True)
        ],
        "stage_times_by_kind": {k: v for k, v in by_kind.items() if k},
        "turnaround": turnaround_by_kind(spreads=spreads),
        "sla_hits": sla_hit_rate_by_kind(rows=state_kind),
        "sla_breaches": sla_breaches(scope),
        "bounces": bounce_rate_by_kind(histogram=histogram),
        "bounce_rounds": bounce_rate_by_round(histogram=histogram),
        "reviewer_load": reviewer_load(rows=state_kind),
        "funnel": funnel(counts=counts[: len(funnel_qs)]),
        "per_month": list(zip(firsts, counts[len(funnel_qs) :], strict=True)),
    }


SUMMARY_CACHE_KEY = "certportal:metrics-summary:v2"


def _cache_key(scope: Scope) -> str:
    return SUMMARY_CACHE_KEY if scope.is_default else f"{SUMMARY_CACHE_KEY}:{scope.key}"


def refresh_summary(scope: Scope = ALL) -> dict:
    """Recompute the metrics (SQL aggregates) and store them for the metrics page; the
    beat task ``certportal.reviews.refresh_metrics`` calls this on a schedule for the
    unfiltered page (a filtered view is stored on first use for the same time)."""
    data = {**all_metrics(scope), "computed_at": timezone.now()}
    seconds = settings.METRICS_SUMMARY_SECONDS
    if seconds > 0:
        cache.set(_cache_key(scope), data, timeout=seconds)
    return data


def summary(scope: Scope = ALL) -> dict:
    """The metrics page's figures: the stored summary when one is fresh (production keeps
    it for METRICS_SUMMARY_SECONDS and the beat task refreshes it), otherwise computed now.
    Its cost does not grow with the number of requests once stored."""
    if settings.METRICS_SUMMARY_SECONDS <= 0:
        return {**all_metrics(scope), "computed_at": None}
    data = cache.get(_cache_key(scope))
    return data if data is not None else refresh_summary(scope)


AREAS = ProductArea.choices
