"""Issue 19's budgets, evaluated on the benchmark's rows (never by a timed test):

- drawn afresh: CPU per request ≤ 3 × the 50-row reference for every page, at the largest
  size; queries ≤ 12 and the same at every size;
- mixed workload at 5 × the realistic rate, at the largest size: p99 ≤ 150 ms for every
  page; each staff page's page-cache hit rate ≥ 50 %;
- every variant ≤ 100 ms at the largest size; the metrics refresh ≤ 200 ms after the
  first build at every size;
- throughput (16 connections) at the largest size within 20 % of the smallest.

A budget whose rows were not measured (a mode left out, one size) is not listed."""

from __future__ import annotations

from devtools.bench.population import STAFF_PAGES

BUDGET_KEYS = ("name", "limit", "measured", "met", "detail")
# The yardsticks are not held to the budgets.
NOT_BUDGETED = ("reference_constant", "reference_template50", "stock_admin_changelist")
AFRESH_CPU_RATIO = 3.0
QUERIES = 12
MIXED_P99_MS = 150.0
STAFF_HIT_RATE = 0.5
VARIANT_MS = 100.0
METRICS_REFRESH_MS = 200.0
THROUGHPUT_RATIO = 0.8


def budget(name: str, limit: float, measured: float | None, met: bool, detail: str = "") -> dict:
    return {"name": name, "limit": limit, "measured": measured, "met": bool(met), "detail": detail}


def _pages(rows: list[dict]) -> list[str]:
    return [p for p in dict.fromkeys(r["page"] for r in rows) if p not in NOT_BUDGETED]


def afresh_budgets(afresh: list[dict]) -> list[dict]:
    if not afresh:
        return []
    largest = max(r["requests_in_db"] for r in afresh)
    sizes = sorted({r["requests_in_db"] for r in afresh})
    out = []
    for page in _pages(afresh):
        row = next(
            (r for r in afresh if r["page"] == page and r["requests_in_db"] == largest), None
        )
        if row is not None and row["cpu_ratio_to_reference"] is not None:
            ratio = row["cpu_ratio_to_reference"]
            out.append(
                budget(
                    f"afresh CPU ≤ {AFRESH_CPU_RATIO:g}× reference: {page} at {largest}",
                    AFRESH_CPU_RATIO,
                    ratio,
                    ratio <= AFRESH_CPU_RATIO,
                    f"{row['cpu_ms']} ms CPU per request",
                )
            )
        counts = {
            r["requests_in_db"]: r["queries"]
            for r in afresh
            if r["page"] == page and r["queries"] is not None
        }
        if counts:
            worst = max(counts.values())
            out.append(
                budget(
                    f"queries ≤ {QUERIES}, same at every size: {page}",
                    QUERIES,
                    worst,
                    worst <= QUERIES and len(set(counts.values())) == 1,
                    ", ".join(f"{size}: {counts[size]}" for size in sizes if size in counts),
                )
            )
    return out


def mixed_budgets(mixed: list[dict]) -> list[dict]:
    rows = [r for r in mixed if r["rate"] == "x5"]
    if not rows:
        return []
    largest = max(r["requests_in_db"] for r in rows)
    out = []
    for r in (r for r in rows if r["requests_in_db"] == largest):
        out.append(
            budget(
                f"mixed x5 p99 ≤ {MIXED_P99_MS:g} ms: {r['page']} at {largest}",
                MIXED_P99_MS,
                r["p99_ms"],
                r["p99_ms"] <= MIXED_P99_MS and not r["errors"],
                f"{r['requests']} requests, {r['errors']} errors",
            )
        )
        if r["page"] in STAFF_PAGES:
            rate = r["hit_rate"]
            out.append(
                budget(
                    f"mixed x5 staff hit rate ≥ {STAFF_HIT_RATE:.0%}: {r['page']} at {largest}",
                    STAFF_HIT_RATE,
                    rate,
                    rate is not None and rate >= STAFF_HIT_RATE,
                )
            )
    return out


def variant_budgets(variants: list[dict]) -> list[dict]:
    if not variants:
        return []
    out = []
    largest = max(r["requests_in_db"] for r in variants)
    for r in variants:
        if r["name"] in ("metrics_refresh_first", "metrics_refresh_after_writes"):
            continue
        if r["requests_in_db"] == largest:
            out.append(
                budget(
                    f"variant ≤ {VARIANT_MS:g} ms: {r['name']} at {largest}",
                    VARIANT_MS,
                    r["ms"],
                    r["ms"] <= VARIANT_MS,
                )
            )
    refreshes = [r for r in variants if r["name"] == "metrics_refresh_after_writes"]
    if refreshes:
        worst = max(refreshes, key=lambda r: r["ms"])
        out.append(
            budget(
                f"metrics refresh after the first build ≤ {METRICS_REFRESH_MS:g} ms, every size",
                METRICS_REFRESH_MS,
                worst["ms"],
                worst["ms"] <= METRICS_REFRESH_MS,
                ", ".join(f"{r['requests_in_db']}: {r['ms']} ms" for r in refreshes),
            )
        )
    return out


def throughput_budgets(results: list[dict]) -> list[dict]:
    sizes = sorted({r["requests_in_db"] for r in results})
    if len(sizes) < 2:
        return []
    small, large = sizes[0], sizes[-1]
    by = {(r["page"], r["requests_in_db"]): r for r in results}
    out = []
    for page in _pages(results):
        a, b = by.get((page, small)), by.get((page, large))
        if a and b and a["rps"]:
            ratio = round(b["rps"] / a["rps"], 2)
            out.append(
                budget(
                    f"req/s at {large} ≥ {THROUGHPUT_RATIO:.0%} of {small}: {page}",
                    THROUGHPUT_RATIO,
                    ratio,
                    ratio >= THROUGHPUT_RATIO,
                    f"{a['rps']} → {b['rps']} req/s",
                )
            )
    return out


def evaluate(
    *,
    results: list[dict],
    afresh: list[dict],
    mixed: list[dict],
    variants: list[dict],
) -> list[dict]:
    """Every budget the given rows allow, in the issue's order."""
    return (
        afresh_budgets(afresh)
        + mixed_budgets(mixed)
        + variant_budgets(variants)
        + throughput_budgets(results)
    )


def format_budgets(budgets: list[dict]) -> str:
    if not budgets:
        return "Budgets: none apply to the rows measured (modes or sizes left out)."
    met = sum(1 for b in budgets if b["met"])
    lines = [f"Budgets: {met} of {len(budgets)} met"]
    for b in budgets:
        verdict = "met    " if b["met"] else "NOT met"
        measured = "—" if b["measured"] is None else f"{b['measured']:g}"
        detail = f" ({b['detail']})" if b["detail"] else ""
        lines.append(f"  {verdict} {b['name']}: {measured} (limit {b['limit']:g}){detail}")
    return "\n".join(lines)
