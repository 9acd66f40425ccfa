"""The metrics page's panels: each figure as a table (what screen readers and the CSV
export read) and a chart drawn from the same rows. Built from reviews.metrics' summary,
so the page and its CSV files never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.safestring import SafeString

from certifications.enums import RequestKind, RequestState
from program.charts import Bar, hbar_chart
from reviews import metrics

KINDS = dict(RequestKind.choices)
STATES = dict(RequestState.choices)


@dataclass
class Panel:
    slug: str
    title: str
    columns: list[str]
    rows: list[list]
    note: str = ""
    charts: list[tuple[str, SafeString]] = field(default_factory=list)


def _days(seconds_spread: float | None) -> str:
    return "—" if seconds_spread is None else f"{seconds_spread:.1f}"


def _pct(rate: metrics.Rate) -> str:
    return "—" if rate.percent is None else f"{rate.percent} %"


def _count_bars(items: list[tuple[str, int]]) -> list[Bar]:
    return [Bar(label, [n], [str(n)]) for label, n in items]


def _spread_bars(spreads: list[metrics.Spread], label) -> list[Bar]:
    return [
        Bar(
            label(s.group),
            [s.median_days, s.p90_days],
            [_days(s.median_days), _days(s.p90_days)],
        )
        for s in spreads
    ]


def _rate_bars(rates: list[metrics.Rate], label=str) -> list[Bar]:
    return [
        Bar(
            label(r.group),
            [None if r.rate is None else 100 * r.rate],
            [f"{_pct(r)} ({r.numerator}/{r.denominator})" if r.denominator else "no data"],
        )
        for r in rates
    ]


def _single(**chart) -> list[tuple[str, SafeString]]:
    """A panel's one chart, without a caption of its own (the panel's title is it)."""
    return [("", hbar_chart(**chart))]


def panels(data: dict) -> list[Panel]:
    """Every panel of the page, in page order."""
    out: list[Panel] = []

    per_state = [(label, n) for _v, label, n in data["per_state"]]
    out.append(
        Panel(
            "requests-by-state",
            "Requests by state",
            ["State", "Requests"],
            [[label, n] for label, n in per_state],
            charts=_single(
                chart_id="c-states",
                title="Requests by state",
                value_label="Requests",
                bars=_count_bars(per_state),
                whole=True,
            ),
        )
    )

    months = [(f"{m:%b %Y}", n) for m, n in data["per_month"]]
    out.append(
        Panel(
            "certifications-per-month",
            "Certifications per month",
            ["Month", "Certificates issued"],
            [[label, n] for label, n in months],
            charts=_single(
                chart_id="c-months",
                title="Certifications per month",
                value_label="Certificates issued",
                bars=_count_bars(months),
                whole=True,
            ),
        )
    )

    stage_rows = []
    stage_charts = []
    by_kind = {"": data["stage_times"], **data["stage_times_by_kind"]}
    for kind, spreads in by_kind.items():
        kind_label = KINDS.get(kind, "All kinds")
        for s in spreads:
            stage_rows.append(
                [
                    kind_label,
                    STATES.get(s.group, s.group),
                    s.count,
                    _days(s.median_days),
                    _days(s.p90_days),
                ]
            )
        if kind and any(s.count for s in spreads):
            stage_charts.append(
                (
                    kind_label,
                    hbar_chart(
                        chart_id=f"c-stages-{kind}",
                        title=f"Time in each stage: {kind_label}",
                        value_label="Days in the stage",
                        bars=_spread_bars(spreads, lambda g: STATES.get(g, g)),
                        series=("Median", "90th percentile"),
                    ),
                )
            )
    out.append(
        Panel(
            "time-in-stage",
            "Time in each stage, by request kind (days)",
            ["Kind", "Stage", "Completed stays", "Median days", "90th percentile days"],
            stage_rows,
            note="A stay ends at the request's next transition; stays still running are left out.",
            charts=stage_charts,
        )
    )

    turnaround = data["turnaround"]
    out.append(
        Panel(
            "turnaround",
            "Submission to certification, by request kind (days)",
            ["Kind", "Certified", "Median days", "90th percentile days"],
            [
                [KINDS.get(s.group, s.group), s.count, _days(s.median_days), _days(s.p90_days)]
                for s in turnaround
            ],
            charts=_single(
                chart_id="c-turnaround",
                title="Submission to certification",
                value_label="Days",
                bars=_spread_bars(turnaround, lambda g: KINDS.get(g, g)),
                series=("Median", "90th percentile"),
            ),
        )
    )

    sla = data["sla_hits"]
    out.append(
        Panel(
            "sla-hit-rate",
            "SLA hit rate, by request kind",
            ["Kind", "Within SLA", "Certified", "Rate"],
            [[KINDS.get(r.group, r.group), r.numerator, r.denominator, _pct(r)] for r in sla],
            note="Certified requests whose vendor-side time stayed within the kind's target.",
            charts=_single(
                chart_id="c-sla",
                title="SLA hit rate",
                value_label="Per cent within the SLA target",
                bars=_rate_bars(sla, lambda g: KINDS.get(g, g)),
                top=100,
            ),
        )
    )

    out.append(
        Panel(
            "sla-breaches",
            "SLA breaches, worst first",
            ["Partner", "Integration", "Version", "Kind", "State", "Target days", "Days over"],
            [
                [b.partner, b.integration, b.version, b.kind, b.state, b.target_days, b.days_over]
                for b in data["sla_breaches"]
            ],
            note="Certified requests over their target and open ones past their due date.",
        )
    )

    rounds = data["bounce_rounds"]
    out.append(
        Panel(
            "bounce-rate-by-round",
            "Bounce rate, by review round",
            ["Round", "Requests that reached it", "Sent back for changes", "Rate"],
            [[r.group, r.denominator, r.numerator, _pct(r)] for r in rounds],
            note="Round n: requests already sent back n − 1 times; how many were sent back again.",
            charts=_single(
                chart_id="c-rounds",
                title="Bounce rate by review round",
                value_label="Per cent sent back for changes",
                bars=_rate_bars(rounds),
                top=100,
            ),
        )
    )

    bounces = data["bounces"]
    out.append(
        Panel(
            "changes-per-request",
            "Changes requested per request, by kind",
            ["Kind", "Changes requested", "Submitted", "Per request"],
            [
                [
                    KINDS.get(r.group, r.group),
                    r.numerator,
                    r.denominator,
                    "—" if r.rate is None else f"{r.rate:.2f}",
                ]
                for r in bounces
            ],
            charts=_single(
                chart_id="c-bounce",
                title="Changes requested per request",
                value_label="Changes requested per submitted request",
                bars=[
                    Bar(
                        KINDS.get(r.group, r.group),
                        [r.rate],
                        ["no data" if r.rate is None else f"{r.rate:.2f}"],
                    )
                    for r in bounces
                ],
            ),
        )
    )

    load = data["reviewer_load"]
    load_states = list(metrics.LOAD_STATES)
    out.append(
        Panel(
            "reviewer-load",
            "Reviewer load (open requests)",
            ["Reviewer", *(STATES[s] for s in load_states), "Total"],
            [[x.reviewer, *(x.counts.get(s, 0) for s in load_states), x.total] for x in load],
            charts=_single(
                chart_id="c-load",
                title="Open requests per reviewer",
                value_label="Open requests",
                bars=_count_bars([(x.reviewer, x.total) for x in load]),
                whole=True,
            )
            if load
            else [],
        )
    )

    stages = data["funnel"]
    out.append(
        Panel(
            "funnel",
            "Funnel: partners at each stage",
            ["Stage", "Partners", "Of the first stage"],
            [[r.group, r.numerator, _pct(r)] for r in stages],
            charts=_single(
                chart_id="c-funnel",
                title="Partners at each stage",
                value_label="Partners",
                bars=[Bar(r.group, [r.numerator], [f"{r.numerator} ({_pct(r)})"]) for r in stages],
                whole=True,
            ),
        )
    )
    return out


def panel(data: dict, slug: str) -> Panel | None:
    return next((p for p in panels(data) if p.slug == slug), None)
