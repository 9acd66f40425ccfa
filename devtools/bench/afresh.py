"""Mode ``afresh``: each page drawn afresh (page cache off), serially over one connection,
on a server of one worker and one thread, so the worker's CPU between two readings is the
page's. Per page: CPU and median wall time per request, the SQL queries drawn afresh and
the CPU against the 50-row reference measured the same way in the same run."""

from __future__ import annotations

from collections.abc import Callable

from devtools.bench import serial
from devtools.bench.procstat import CpuMeter
from devtools.bench.targets import REFERENCE

AFRESH_KEYS = (
    "page",
    "requests_in_db",
    "cpu_ms",
    "wall_ms",
    "queries",
    "cpu_ratio_to_reference",
    "db_cpu_ms",
    "requests",
)


def afresh_row(
    page: str,
    size: int,
    got: dict,
    queries: int | None,
    reference_cpu_ms: float | None,
) -> dict:
    """One page at one size; `got` is `serial.measure`'s result."""
    ratio = got["cpu_ms"] / reference_cpu_ms if reference_cpu_ms else None
    db_cpu = got.get("db_cpu_ms")
    return {
        "page": page,
        "requests_in_db": size,
        "cpu_ms": round(got["cpu_ms"], 2),
        "wall_ms": round(got["wall_ms"], 2),
        "queries": queries,
        "cpu_ratio_to_reference": None if ratio is None else round(ratio, 2),
        "db_cpu_ms": None if db_cpu is None else round(db_cpu, 2),
        "requests": got["requests"],
    }


def run_afresh(
    base: str,
    size: int,
    pages: list[str],
    targets: dict,
    *,
    meter: CpuMeter,
    db_meter: CpuMeter | None,
    requests: int,
    write: Callable[[str], object],
) -> list[dict]:
    """Every page of `pages` (the reference first), one row each."""
    ordered = [REFERENCE, *(p for p in pages if p != REFERENCE)]
    measured = {}
    for page in ordered:
        got = serial.measure(
            base,
            targets["urls"][page],
            targets["cookies"][page],
            meter=meter,
            db_meter=db_meter,
            min_requests=requests,
        )
        measured[page] = got
        write(
            f"  {size:>7} afresh {page:<24} cpu {got['cpu_ms']:7.2f} ms  "
            f"wall {got['wall_ms']:7.2f} ms  ({got['requests']} requests)"
        )
    reference_cpu = measured[REFERENCE]["cpu_ms"]
    return [
        afresh_row(page, size, got, targets["queries_uncached"].get(page), reference_cpu)
        for page, got in measured.items()
    ]


def format_afresh(rows: list[dict]) -> str:
    head = f"{'page':<24}{'requests':>9}{'cpu ms':>9}{'wall ms':>9}{'db cpu':>9}"
    head += f"{'queries':>9}{'× ref cpu':>10}"
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = "" if r["cpu_ratio_to_reference"] is None else f"{r['cpu_ratio_to_reference']:.2f}"
        db = "" if r["db_cpu_ms"] is None else f"{r['db_cpu_ms']:.2f}"
        queries = "" if r["queries"] is None else str(r["queries"])
        lines.append(
            f"{r['page']:<24}{r['requests_in_db']:>9}{r['cpu_ms']:>9.2f}{r['wall_ms']:>9.2f}"
            f"{db:>9}{queries:>9}{ratio:>10}"
        )
    return "\n".join(lines)
