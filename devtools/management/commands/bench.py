"""The page benchmark: ``make bench`` (``python manage.py bench``).

For each data size (20,000 and 200,000 requests by default) it makes sure the PostgreSQL
database ``<your database>_bench_<size>`` exists, is migrated and holds ``seed_scale`` data
of that size (partners = requests / 100), signs the benchmark's people in by writing
sessions (staff sessions carry a verified second factor), counts each page's SQL queries
with the test client, and runs the modes chosen with ``--modes`` (all by default):

- ``afresh``: each page drawn afresh (page cache off), serially, on gunicorn with one
  worker and one thread: the worker's CPU and the median wall time per request, the
  queries, and the CPU against the 50-row reference;
- ``variants``: on the same server, the search, filter, sort and deep-page variants that
  could grow with the data, and the metrics refresh timed in the production environment;
- ``load``: each page with 16 keep-alive connections for a fixed duration, three times
  round robin, on 2 gthread workers × 4 threads with the page cache on (``results``);
- ``mixed``: on that server, 100 partners, 10 reviewers and 2 managers reloading their
  pages with writes every ~2 s, at the realistic rate and at 5× it: p50/p95/p99 and the
  page-cache hit rate per page, the server's CPU per request.

It prints the tables and the budgets' verdicts and writes ``var/bench/latest.json``. The
servers run the production settings (DEBUG off, whitenoise, persistent database
connections) minus the SSL redirect, with the benchmark reference views on. The load
generator is wrk when installed, otherwise a small built-in asyncio client. This module
parses the options and runs the steps; the machinery is in ``devtools.bench`` and
``devtools.pg``."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.bench import budgets, clients, population, rounds, schedule, targets
from devtools.bench import variants as variant_mode
from devtools.bench.afresh import format_afresh, run_afresh
from devtools.bench.clients import run_builtin, run_wrk
from devtools.bench.clients import wrk_ms as _wrk_ms
from devtools.bench.mixed import RATES, format_mixed, run_mixed, warm
from devtools.bench.processes import child_env, redis_client, run_manage
from devtools.bench.procstat import CpuMeter, backend_pids
from devtools.bench.report import (
    RESULT_KEYS,
    format_growth,
    format_table,
    result_row,
    write_results,
)
from devtools.bench.server import gunicorn_server, production_env
from devtools.bench.targets import PAGES, REFERENCE, USERS
from devtools.pg import (
    bench_database,
    create_database,
    database_bytes,
    database_url,
    require_postgresql,
)

# Reached through this module by tests/perf/test_bench.py and older callers.
__all__ = [
    "PAGES",
    "REFERENCE",
    "RESULT_KEYS",
    "USERS",
    "Command",
    "_wrk_ms",
    "format_table",
    "result_row",
    "run_builtin",
    "run_wrk",
    "write_results",
]

# The page cache needs a cache every gunicorn worker shares: a Redis database of its own,
# emptied before each data size (user ids repeat between the two benchmark databases).
DEFAULT_BENCH_REDIS = "redis://127.0.0.1:6379/13"
MODES = ("afresh", "load", "mixed", "variants")


def parse_modes(text: str) -> list[str]:
    """The modes of ``--modes`` in run order; CommandError for an unknown one."""
    wanted = {m.strip() for m in text.split(",") if m.strip()}
    unknown = wanted - set(MODES)
    if unknown:
        raise CommandError(f"Unknown modes: {sorted(unknown)} (choose from {', '.join(MODES)})")
    return [m for m in ("afresh", "variants", "load", "mixed") if m in wanted]


class Command(BaseCommand):
    help = "Benchmark the real pages against reference views on gunicorn + PostgreSQL."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--sizes", default="20000,200000", help="requests per run")
        parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset")
        parser.add_argument("--duration", type=float, default=5.0, help="seconds per run")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--pages", default="", help="comma-separated subset")
        parser.add_argument("--client", choices=("auto", "wrk", "builtin"), default="auto")
        parser.add_argument("--output", default=str(settings.VAR_DIR / "bench" / "latest.json"))
        parser.add_argument(
            "--afresh-requests", type=int, default=20, help="serial requests per page afresh"
        )
        parser.add_argument(
            "--variant-requests", type=int, default=10, help="serial requests per variant"
        )
        parser.add_argument(
            "--mixed-seconds", type=float, default=30.0, help="seconds per mixed-workload rate"
        )
        parser.add_argument(
            "--seed-only", action="store_true", help="create and seed the databases, then stop"
        )
        parser.add_argument(
            "--redis-url",
            default=os.environ.get("BENCH_REDIS_URL", DEFAULT_BENCH_REDIS),
            help="a Redis database the benchmark may empty (cache of the measured server)",
        )
        parser.add_argument(
            "--no-page-cache",
            action="store_true",
            help="load and mixed modes with every page rendered afresh (PAGE_CACHE_SECONDS=0)",
        )
        # Internal: run inside the production environment of one size.
        parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--refresh-metrics", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--mixed-writes", default="", help=argparse.SUPPRESS)

    def handle(self, *args, **opts) -> None:
        if opts["prepare"]:
            self.stdout.write(json.dumps(self._prepare()))
            return
        if opts["refresh_metrics"]:
            self.stdout.write(json.dumps(variant_mode.refresh_metrics()))
            return
        if opts["mixed_writes"]:
            self._mixed_writes(json.loads(opts["mixed_writes"]))
            return
        require_postgresql("bench needs PostgreSQL: set DATABASE_URL=postgres://...")
        sizes = [int(s) for s in opts["sizes"].split(",") if s.strip()]
        modes = parse_modes(opts["modes"])
        pages = [p for p in opts["pages"].split(",") if p] or list(PAGES)
        if REFERENCE not in pages:
            pages.insert(0, REFERENCE)
        unknown = set(pages) - set(PAGES)
        if unknown:
            raise CommandError(f"Unknown pages: {sorted(unknown)}")
        runner, client_name = clients.choose(opts["client"])
        static_root = settings.VAR_DIR / "bench" / "static"
        secret_key = secrets.token_urlsafe(50)  # one for every size's server
        out: dict[str, list[dict]] = {
            "results": [],
            "afresh": [],
            "variants": [],
            "mixed": [],
            "mixed_runs": [],
        }
        databases: dict[str, dict] = {}
        started = time.monotonic()
        for size in sizes:
            db_url = database_url(bench_database(size))
            seed_seconds = self._ensure_seeded(size, db_url)
            databases[str(size)] = {
                "database": bench_database(size),
                "seed_seconds": seed_seconds,
                "database_bytes": database_bytes(bench_database(size)),
            }
            if opts["seed_only"]:
                continue
            envs = {
                cache_on: production_env(
                    db_url=db_url,
                    static_root=static_root,
                    redis_url=opts["redis_url"],
                    page_cache=cache_on,
                    secret_key=secret_key,
                )
                for cache_on in (True, False)
            }
            env = envs[not opts["no_page_cache"]]
            redis = redis_client(opts["redis_url"], " (--redis-url)")
            redis.flushdb()
            if size == sizes[0]:
                run_manage(["collectstatic", "--noinput", "-v0"], env)
            size_targets = json.loads(run_manage(["bench", "--prepare"], env, capture=True))
            if "afresh" in modes or "variants" in modes:
                self._serial_modes(size, modes, pages, size_targets, envs[False], out, opts)
            if "load" in modes or "mixed" in modes:
                redis.flushdb()
                self._concurrent_modes(
                    size, modes, pages, size_targets, env, redis, runner, out, opts
                )
        if opts["seed_only"]:
            for size, info in databases.items():
                self.stdout.write(f"{size}: {info}")
            return
        self._report(out, sizes, modes, client_name, databases, time.monotonic() - started, opts)

    # -- the modes ------------------------------------------------------------------------

    def _serial_modes(self, size, modes, pages, size_targets, env, out, opts) -> None:
        """afresh and variants: one worker, one thread, page cache off."""
        dbname = bench_database(size)
        with gunicorn_server(env, port=opts["port"], workers=1, threads=1) as (base, pid):
            meter = CpuMeter.workers(pid)
            db_meter = CpuMeter(lambda: backend_pids(dbname))
            if "afresh" in modes:
                out["afresh"] += run_afresh(
                    base,
                    size,
                    pages,
                    size_targets,
                    meter=meter,
                    db_meter=db_meter,
                    requests=opts["afresh_requests"],
                    write=self.stdout.write,
                )
            if "variants" in modes:
                out["variants"] += variant_mode.run_variants(
                    base,
                    size,
                    size_targets,
                    size_targets["role_cookies"],
                    meter=meter,
                    db_meter=db_meter,
                    requests=opts["variant_requests"],
                    write=self.stdout.write,
                )
        if "variants" in modes:
            out["variants"] += variant_mode.run_metrics_refresh(size, env, self.stdout.write)

    def _concurrent_modes(
        self, size, modes, pages, size_targets, env, redis, runner, out, opts
    ) -> None:
        """load and mixed: the production-like server, page cache on."""
        with gunicorn_server(
            env, port=opts["port"], workers=opts["workers"], threads=opts["threads"]
        ) as (base, pid):
            if "load" in modes:
                measured = rounds.run_rounds(
                    base,
                    size,
                    pages,
                    size_targets,
                    runner,
                    connections=opts["connections"],
                    duration=opts["duration"],
                    runs=opts["runs"],
                    write=self.stdout.write,
                )
                out["results"] += rounds.summarise(size, measured, size_targets)
            if "mixed" in modes:
                redis.flushdb()  # the load mode's copies are not what a program has
                people = size_targets["people"]
                warm(base, people)
                for rate in RATES:
                    rows, run = run_mixed(
                        base,
                        size,
                        people,
                        env=env,
                        rate=rate,
                        seconds=opts["mixed_seconds"],
                        meter=CpuMeter.workers(pid),
                        write=self.stdout.write,
                    )
                    out["mixed"] += rows
                    out["mixed_runs"].append(run)

    # -- internal steps (run inside the production environment of one size) ---------------

    def _prepare(self) -> dict:
        prepared = targets.prepare()
        prepared["variants"] = variant_mode.variant_urls()
        prepared["people"] = population.people()
        return prepared

    def _mixed_writes(self, plan: dict) -> None:
        """The mixed workload's writer: says "ready", reads the start (a time.time()
        value) from stdin, writes on plan, prints what it did as JSON."""
        from devtools.bench.writes import Writer, find_targets

        writer = Writer(find_targets())
        self.stdout.write("ready")
        self.stdout.flush()
        start_wall = float(sys.stdin.readline())
        start = time.monotonic() + (start_wall - time.time())
        offsets = schedule.write_times(plan["interval"], plan["seconds"])
        count = iter(range(len(offsets)))
        late = schedule.follow_blocking(offsets, start, lambda: writer.write(next(count)))
        done = {
            "writes": sum(writer.done.values()),
            "by_kind": writer.done,
            "errors": writer.errors,
            "late_s": round(max(late, default=0.0), 2),
        }
        self.stdout.write(json.dumps(done))

    def _ensure_seeded(self, size: int, db_url: str) -> float | None:
        """Create, migrate and seed the database of one size (each step idempotent);
        the seconds seeding took, None when it was seeded already."""
        name = bench_database(size)
        if create_database(name):
            self.stdout.write(f"Creating database {name}")
        env = child_env(drop=("REDIS_URL",), DATABASE_URL=db_url)
        run_manage(["migrate", "--noinput", "-v0"], env)
        self.stdout.write(f"Seeding {name} ({size} requests) if needed…")
        started = time.monotonic()
        said = run_manage(
            ["seed_scale", "--partners", str(max(1, size // 100)), "--requests", str(size)],
            env,
            capture=True,
        )
        self.stdout.write(said.strip())
        return None if "Already seeded" in said else round(time.monotonic() - started, 1)

    # -- the report -----------------------------------------------------------------------

    def _report(self, out, sizes, modes, client_name, databases, elapsed, opts) -> None:
        verdicts = budgets.evaluate(
            results=out["results"],
            afresh=out["afresh"],
            mixed=out["mixed"],
            variants=out["variants"],
        )
        meta = {
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "modes": modes,
            "server": f"gunicorn gthread, {opts['workers']} workers x {opts['threads']} threads",
            "serial_server": "gunicorn gthread, 1 worker x 1 thread, page cache off",
            "client": client_name,
            "connections": opts["connections"],
            "duration_s": opts["duration"],
            "runs": opts["runs"],
            "afresh_requests": opts["afresh_requests"],
            "variant_requests": opts["variant_requests"],
            "mixed_seconds": opts["mixed_seconds"],
            "cpus": os.cpu_count(),
            "page_cache": not opts["no_page_cache"],
            "databases": databases,
            "elapsed_s": round(elapsed),
        }
        write_results(Path(opts["output"]), out["results"], meta, {**out, "budgets": verdicts})
        write = self.stdout.write
        if out["afresh"]:
            write("")
            write(
                "Drawn afresh: page cache off, serial, 1 worker x 1 thread; CPU = the worker's "
                f"user+system time per request, wall = median (>= {opts['afresh_requests']} "
                "requests after a warm-up)"
            )
            write(format_afresh(out["afresh"]))
        if out["results"]:
            write("")
            write(
                f"{meta['server']}; {client_name}, {opts['connections']} connections, "
                f"{opts['duration']:g}s per run, median of {opts['runs']} runs; "
                f"{os.cpu_count()} CPUs; "
                f"page cache {'off' if opts['no_page_cache'] else 'on (Redis)'}"
            )
            write(format_table(out["results"]))
            write(format_growth(out["results"], sizes))
        if out["mixed"]:
            write("")
            write(
                f"Mixed workload ({meta['server']}, page cache "
                f"{'off' if opts['no_page_cache'] else 'on'}), {opts['mixed_seconds']:g} s per rate"
            )
            write(format_mixed(out["mixed"], out["mixed_runs"]))
        if out["variants"]:
            write("")
            write("Variants: drawn afresh, serial, median wall time")
            write(variant_mode.format_variants(out["variants"]))
        write("")
        write(budgets.format_budgets(verdicts))
        write(f"Written to {opts['output']} ({round(elapsed)} s)")
