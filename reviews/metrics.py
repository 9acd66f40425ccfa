"""Program metrics for partner managers, computed in the database with aggregates.

Time spent in each stage comes from the transition log: a row's stay lasts until the
request's next logged transition (LEAD over the log, "assign" rows skipped because they do
not change the state). Percentiles use PostgreSQL's percentile_cont; on SQLite (`make run`)
the same linear interpolation is done with ROW_NUMBER/COUNT window functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import Lead, TruncMonth
from django.utils import timezone

from certifications.enums import (
    CERTIFIED_STATES,
    RequestKind,
    RequestState,
)
from certifications.models import Certificate, CertificationRequest, TransitionLog

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


def _spreads(qs: QuerySet) -> dict[str, Spread]:
    """`qs` yields values grp, t0, t1; returns the median and 90th percentile of t1 - t0 per
    grp, computed by the database."""
    inner, params = qs.query.sql_with_params()
    secs = _seconds_between("d.t0", "d.t1")
    durations = f"SELECT d.grp AS grp, {secs} AS secs FROM ({inner}) d WHERE d.t1 IS NOT NULL"  # noqa: S608 - ORM SQL and constants; values are parameters
    if connection.vendor == "postgresql":
        cols = ", ".join(f"percentile_cont({f}) WITHIN GROUP (ORDER BY x.secs)" for f in FRACTIONS)
        sql = f"SELECT x.grp, COUNT(*), {cols} FROM ({durations}) x GROUP BY x.grp"  # noqa: S608 - built from ORM SQL and constants; values are parameters
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return {
            grp: Spread(grp, n, *(None if v is None else float(v) for v in values))
            for grp, n, *values in rows
        }
    ranked = (
        "SELECT r.grp, r.secs, ROW_NUMBER() OVER (PARTITION BY r.grp ORDER BY r.secs) AS rn, "  # noqa: S608 - constants only
        f"COUNT(*) OVER (PARTITION BY r.grp) AS cnt FROM ({durations}) r"
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
    sql = f"SELECT x.grp, MAX(x.cnt), {', '.join(cols)} FROM ({ranked}) x GROUP BY x.grp"  # noqa: S608 - constants only
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


# --- The metrics --------------------------------------------------------------------------------


def requests_per_state() -> list[tuple[str, str, int]]:
    counts = dict(
        CertificationRequest.objects.order_by()
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return [(s.value, s.label, counts.get(s.value, 0)) for s in RequestState]


def stage_times() -> list[Spread]:
    """Median and 90th percentile time spent in each stage (completed stays only)."""
    log = (
        TransitionLog.objects.exclude(transition="assign")
        .order_by()
        .annotate(
            grp=F("to_state"),
            t0=F("at"),
            t1=Window(
                Lead("at"), partition_by=[F("request_id")], order_by=[F("at").asc(), F("id").asc()]
            ),
        )
        .values("grp", "t0", "t1")
    )
    spreads = _spreads(log)
    return [spreads.get(stage, Spread(stage, 0, None, None)) for stage in STAGES]


def turnaround_by_kind() -> list[Spread]:
    """Submission to certification, per request kind."""
    qs = (
        CertificationRequest.objects.filter(
            state__in=CERTIFIED_STATES, submitted_at__isnull=False, closed_at__isnull=False
        )
        .order_by()
        .annotate(grp=F("kind"), t0=F("submitted_at"), t1=F("closed_at"))
        .values("grp", "t0", "t1")
    )
    spreads = _spreads(qs)
    return [spreads.get(kind, Spread(kind, 0, None, None)) for kind in RequestKind.values]


@dataclass(frozen=True)
class Rate:
    group: str
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def sla_hit_rate_by_kind() -> list[Rate]:
    """Certified requests whose vendor-side time stayed within the SLA target."""
    rows = {
        r["kind"]: r
        for r in CertificationRequest.objects.filter(state__in=CERTIFIED_STATES)
        .order_by()
        .values("kind")
        .annotate(
            total=Count("pk"),
            hits=Count("pk", filter=Q(sla_elapsed_seconds__lte=F("sla_target_days") * 86400)),
        )
    }
    return [
        Rate(kind, rows.get(kind, {}).get("hits", 0), rows.get(kind, {}).get("total", 0))
        for kind in RequestKind.values
    ]


def bounce_rate_by_kind() -> list[Rate]:
    """Changes requested per submitted request."""
    # One grouped query: submitted requests and their changes-requested transitions.
    rows = {
        r["kind"]: r
        for r in CertificationRequest.objects.order_by()
        .values("kind")
        .annotate(
            submitted=Count("pk", filter=Q(submitted_at__isnull=False), distinct=True),
            bounced=Count("log", filter=Q(log__transition__in=CHANGES_TRANSITIONS)),
        )
    }
    return [
        Rate(kind, rows.get(kind, {}).get("bounced", 0), rows.get(kind, {}).get("submitted", 0))
        for kind in RequestKind.values
    ]


def certifications_per_month(*, months: int = 12, today: dt.date | None = None) -> list:
    today = today or timezone.localdate()
    firsts = []
    year, month = today.year, today.month
    for _ in range(months):
        firsts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    start = timezone.make_aware(dt.datetime.combine(firsts[0], dt.time.min))
    counts = {
        (m.date() if isinstance(m, dt.datetime) else m): n
        for m, n in Certificate.objects.filter(issued_at__gte=start)
        .order_by()
        .annotate(m=TruncMonth("issued_at"))
        .values("m")
        .annotate(n=Count("pk"))
        .values_list("m", "n")
    }
    return [(first, counts.get(first, 0)) for first in firsts]


def bars(items: list[tuple[str, float]], *, width: int = 260, row: int = 22) -> dict:
    """Geometry for a small horizontal SVG bar chart (no JavaScript)."""
    top = max((v for _, v in items), default=0) or 1
    rows = [
        {
            "label": label,
            "value": value,
            "y": i * row,
            "text_y": i * row + row * 0.7,
            "w": round(width * value / top, 1) if value else 0,
        }
        for i, (label, value) in enumerate(items)
    ]
    return {"rows": rows, "width": width, "height": max(len(items), 1) * row, "label_x": 0}


def all_metrics() -> dict:
    per_state = requests_per_state()
    per_month = certifications_per_month()
    return {
        "per_state": per_state,
        "per_state_chart": bars([(label, n) for _, label, n in per_state]),
        "stage_times": stage_times(),
        "turnaround": turnaround_by_kind(),
        "sla_hits": sla_hit_rate_by_kind(),
        "bounces": bounce_rate_by_kind(),
        "per_month": per_month,
        "per_month_chart": bars([(f"{m:%b %Y}", n) for m, n in per_month]),
    }


SUMMARY_CACHE_KEY = "certportal:metrics-summary:v1"


def refresh_summary() -> dict:
    """Recompute the metrics (SQL aggregates) and store them for the metrics page; the
    beat task ``certportal.reviews.refresh_metrics`` calls this on a schedule."""
    data = {**all_metrics(), "computed_at": timezone.now()}
    seconds = settings.METRICS_SUMMARY_SECONDS
    if seconds > 0:
        cache.set(SUMMARY_CACHE_KEY, data, timeout=seconds)
    return data


def summary() -> dict:
    """The metrics page's figures: the stored summary when one is fresh (production keeps
    it for METRICS_SUMMARY_SECONDS and the beat task refreshes it), otherwise computed now.
    Its cost does not grow with the number of requests once stored."""
    if settings.METRICS_SUMMARY_SECONDS <= 0:
        return {**all_metrics(), "computed_at": None}
    data = cache.get(SUMMARY_CACHE_KEY)
    return data if data is not None else refresh_summary()
