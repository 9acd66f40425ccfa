"""Mode ``variants``: the page variants that could grow with the data, each loaded afresh
and serially (median wall time of at least 10 requests) on the one-worker server:

- the review queue (the changelist) searched for a fragment of a partner's name (``?q=``)
  and filtered to the reviewer's own requests (``?reviewer=me``), and its deepest page;
- the managers' overview sorted by each computed column it offers (``?sort=``), and its
  deepest page (``?page=``), plain and sorted;
- the metrics refresh (`reviews.metrics.refresh_summary`), timed inside the production
  environment (``bench --refresh-metrics``): the first build, then again after a few
  writes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

from devtools.bench import serial
from devtools.bench.processes import run_manage
from devtools.bench.procstat import CpuMeter

VARIANT_KEYS = ("name", "requests_in_db", "ms", "cpu_ms", "db_cpu_ms", "path")
METRICS_VARIANTS = ("metrics_refresh_first", "metrics_refresh_after_writes")
ADMIN_LIST = "/admin/certifications/certificationrequest/"
# The overview's computed sort columns (program.views.partners.SORT_FIELDS less "name").
OVERVIEW_SORTS = ("renewal", "outstanding", "open", "certs", "standing")
PER_PAGE = 50


def variant_urls() -> dict[str, tuple[str, str]]:
    """variant → (role, path) in this database (run inside the production environment)."""
    from devtools.scale.shape import PREFIX
    from partners.models import Partner

    partners = Partner.objects.filter(slug__startswith=PREFIX)
    count = partners.count()
    # "Scale Partner 00101" → "Partner 0010": a name fragment ten partners share.
    middle = partners.order_by("pk").values_list("name", flat=True)[count // 2]
    fragment = " ".join(middle.split()[1:])[:-1]
    last_page = max((count + PER_PAGE - 1) // PER_PAGE, 1)
    urls = {
        "queue_search": ("reviewer", f"{ADMIN_LIST}?{urlencode({'q': fragment})}"),
        "queue_reviewer_me": ("reviewer", f"{ADMIN_LIST}?reviewer=me"),
        # The changelist counts at most 2,000 rows (CappedCountPaginator): 40 pages of 50.
        "queue_deep_page": ("reviewer", f"{ADMIN_LIST}?p=40"),
    }
    for sort in OVERVIEW_SORTS:
        urls[f"overview_sort_{sort}"] = ("manager", f"/manage/?sort={sort}")
    urls["overview_deep_page"] = ("manager", f"/manage/?page={last_page}")
    urls["overview_deep_page_sorted"] = ("manager", f"/manage/?sort=open&desc=on&page={last_page}")
    return urls


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def variant_row(
    name: str,
    size: int,
    ms: float,
    path: str,
    cpu_ms: float | None = None,
    db_cpu_ms: float | None = None,
) -> dict:
    """One variant at one size: `ms` the median wall time; the server's and PostgreSQL's
    CPU per request when measured."""
    return {
        "name": name,
        "requests_in_db": size,
        "ms": round(ms, 2),
        "cpu_ms": _round(cpu_ms),
        "db_cpu_ms": _round(db_cpu_ms),
        "path": path,
    }


def run_variants(
    base: str,
    size: int,
    targets: dict,
    cookies: dict[str, str],
    *,
    meter: CpuMeter,
    db_meter: CpuMeter | None,
    requests: int,
    write: Callable[[str], object],
) -> list[dict]:
    """Each page variant of `targets["variants"]`, one row each."""
    rows = []
    for name, (role, path) in targets["variants"].items():
        got = serial.measure(
            base,
            path,
            cookies[role],
            meter=meter,
            db_meter=db_meter,
            warmup=1,
            min_requests=requests,
            min_seconds=0,
            max_seconds=30,
        )
        rows.append(variant_row(name, size, got["wall_ms"], path, got["cpu_ms"], got["db_cpu_ms"]))
        write(
            f"  {size:>7} variant {name:<28} {got['wall_ms']:8.1f} ms ({got['requests']} requests)"
        )
    return rows


def run_metrics_refresh(size: int, env: dict, write: Callable[[str], object]) -> list[dict]:
    """The metrics refresh timed inside the production environment of this size."""
    got = json.loads(run_manage(["bench", "--refresh-metrics"], env, capture=True))
    rows = [
        variant_row("metrics_refresh_first", size, got["first_ms"], "refresh_summary()"),
        variant_row(
            "metrics_refresh_after_writes",
            size,
            got["after_writes_ms"],
            f"refresh_summary() after {got['writes']} writes",
        ),
    ]
    for row in rows:
        write(f"  {size:>7} variant {row['name']:<28} {row['ms']:8.1f} ms")
    return rows


def refresh_metrics(writes: int = 4) -> dict:
    """Time `refresh_summary()` (first build), make `writes` writes, time it again."""
    from devtools.bench.writes import Writer, find_targets
    from reviews.metrics import refresh_summary

    started = time.perf_counter()
    refresh_summary()
    first = (time.perf_counter() - started) * 1000
    writer = Writer(find_targets())
    for k in range(writes):
        writer.write(k)
    started = time.perf_counter()
    refresh_summary()
    after = (time.perf_counter() - started) * 1000
    return {"first_ms": first, "after_writes_ms": after, "writes": sum(writer.done.values())}


def format_variants(rows: list[dict]) -> str:
    head = f"{'variant':<30}{'requests':>9}{'ms':>10}{'cpu ms':>9}{'db cpu':>9}"
    lines = [head, "-" * len(head)]
    for r in rows:
        cpu = "" if r["cpu_ms"] is None else f"{r['cpu_ms']:.1f}"
        db = "" if r["db_cpu_ms"] is None else f"{r['db_cpu_ms']:.1f}"
        lines.append(f"{r['name']:<30}{r['requests_in_db']:>9}{r['ms']:>10.1f}{cpu:>9}{db:>9}")
    return "\n".join(lines)
