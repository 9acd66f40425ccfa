"""The benchmark's results: one row per page and data size, the printed table, the growth
between sizes and the JSON results file (``var/bench/latest.json``: ``results`` from the
16-connection load, and the ``afresh``, ``mixed``, ``mixed_runs``, ``variants`` and
``budgets`` sections of the other modes)."""

from __future__ import annotations

import json
from pathlib import Path

from devtools.bench.afresh import AFRESH_KEYS
from devtools.bench.budgets import BUDGET_KEYS
from devtools.bench.mixed import MIXED_KEYS, RUN_KEYS
from devtools.bench.variants import VARIANT_KEYS

RESULT_KEYS = (
    "page",
    "requests_in_db",
    "rps",
    "p50_ms",
    "p99_ms",
    "queries",
    "queries_uncached",
    "ratio_to_reference",
)


def result_row(
    page: str,
    size: int,
    rps: float,
    p50: float,
    p99: float,
    queries: int | None,
    ref: float,
    queries_uncached: int | None = None,
    ratio: float | None = None,
) -> dict:
    """One page at one data size. `ratio` (when given) replaces rps / ref: the benchmark
    passes the median of the per-round ratios, each round's page against the reference
    measured in the same round, which a noisy round moves less."""
    if ratio is None and ref:
        ratio = rps / ref
    return {
        "page": page,
        "requests_in_db": size,
        "rps": round(rps, 1),
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        # per request as measured (a page-cache hit when the cache is on) ...
        "queries": queries,
        # ... and when the page is rendered afresh (a miss, or the cache off)
        "queries_uncached": queries_uncached,
        "ratio_to_reference": round(ratio, 2) if ratio is not None else None,
    }


# section of the results file → the keys each of its rows has
SECTION_KEYS = {
    "results": RESULT_KEYS,
    "afresh": AFRESH_KEYS,
    "mixed": MIXED_KEYS,
    "mixed_runs": RUN_KEYS,
    "variants": VARIANT_KEYS,
    "budgets": BUDGET_KEYS,
}


def write_results(
    path: Path, results: list[dict], meta: dict, sections: dict[str, list[dict]] | None = None
) -> None:
    """Write `meta`, ``results`` and the other `sections` (each a list of rows; a section
    not given is written empty), refusing rows that lack a section's keys."""
    data = {"results": results, **{name: [] for name in SECTION_KEYS if name != "results"}}
    for name, rows in (sections or {}).items():
        if name not in SECTION_KEYS:
            raise ValueError(f"unknown section {name!r}")
        data[name] = rows
    for name, rows in data.items():
        for row in rows:
            missing = set(SECTION_KEYS[name]) - row.keys()
            if missing:
                label = "result" if name == "results" else f"{name}"
                raise ValueError(f"{label} row lacks {sorted(missing)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**meta, **data}, indent=2) + "\n")


def format_table(results: list[dict]) -> str:
    head = f"{'page':<24}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    head += f"{'queries':>9}{'uncached':>9}{'× ref50':>9}"
    lines = [head, "-" * len(head)]
    for r in results:
        ratio = "" if r["ratio_to_reference"] is None else f"{r['ratio_to_reference']:.2f}"
        queries = "" if r["queries"] is None else str(r["queries"])
        uncached = r.get("queries_uncached")
        uncached = "" if uncached is None else str(uncached)
        lines.append(
            f"{r['page']:<24}{r['requests_in_db']:>9}{r['rps']:>9.1f}{r['p50_ms']:>9.1f}"
            f"{r['p99_ms']:>9.1f}{queries:>9}{uncached:>9}{ratio:>9}"
        )
    return "\n".join(lines)


def format_growth(results: list[dict], sizes: list[int]) -> str:
    """Each page's req/s at the largest size relative to the smallest ("" for one size)."""
    if len(sizes) < 2:
        return ""
    small, large = min(sizes), max(sizes)
    by = {(r["page"], r["requests_in_db"]): r for r in results}
    lines = [f"req/s at {large} relative to {small}:"]
    for page in dict.fromkeys(r["page"] for r in results):
        a, b = by.get((page, small)), by.get((page, large))
        if a and b and a["rps"]:
            lines.append(f"  {page:<24}{b['rps'] / a['rps']:>6.2f}")
    return "\n".join(lines)
