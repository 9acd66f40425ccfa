"""One data size measured on a running server: every page warmed, then round after round
over all pages (each page loaded for the same duration, the server settled in between),
and each page's median run and median per-round ratio to the reference page."""

from __future__ import annotations

from collections.abc import Callable

from django.core.management.base import CommandError

from devtools.bench.clients import Runner
from devtools.bench.report import result_row
from devtools.bench.server import settle
from devtools.bench.stats import median_ratio, median_run
from devtools.bench.targets import REFERENCE
from devtools.pg import bench_database


def run_rounds(
    base: str,
    size: int,
    pages: list[str],
    targets: dict,
    runner: Runner,
    *,
    connections: int,
    duration: float,
    runs: int,
    write: Callable[[str], object],
) -> dict[str, list[dict]]:
    """Each page's runs, in round order; `write` gets one progress line per run."""
    dbname = bench_database(size)
    reference_cookie = targets["cookies"][REFERENCE]

    def load(page: str, seconds: float) -> dict:
        return runner(base + targets["urls"][page], targets["cookies"][page], connections, seconds)

    measured: dict[str, list[dict]] = {page: [] for page in pages}
    for page in pages:  # warm every worker's connection, templates and caches
        load(page, 1)
        settle(base, reference_cookie, dbname)
    for run in range(runs):
        for page in pages:
            got = load(page, duration)
            if got["errors"]:
                raise CommandError(f"{page}: {got['errors']} error responses")
            measured[page].append(got)
            settle(base, reference_cookie, dbname)
            write(
                f"  {size:>7} run {run + 1} {page:<24} {got['rps']:8.1f} req/s "
                f"p50 {got['p50']:.1f} ms p99 {got['p99']:.1f} ms"
            )
    return measured


def summarise(size: int, measured: dict[str, list[dict]], targets: dict) -> list[dict]:
    """One result row per page: its median run, its query counts and its median ratio to
    the reference measured in the same rounds."""
    reference = measured[REFERENCE]
    ref = median_run(reference)["rps"]
    rows = []
    for page, got in measured.items():
        median = median_run(got)
        rows.append(
            result_row(
                page,
                size,
                median["rps"],
                median["p50"],
                median["p99"],
                targets["queries"].get(page),
                ref,
                targets["queries_uncached"].get(page),
                ratio=median_ratio(got, reference),
            )
        )
    return rows
