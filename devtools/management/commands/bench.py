"""The page benchmark: ``make bench`` (``python manage.py bench``).

For each data size (20,000 and 200,000 requests by default) it:

1. makes sure the PostgreSQL database ``<your database>_bench_<size>`` exists, is migrated
   and holds ``seed_scale`` data of that size (partners = requests / 100);
2. starts gunicorn on 127.0.0.1 with the production settings (DEBUG off, whitenoise,
   persistent database connections) minus the SSL redirect, the benchmark reference
   views on, and a fixed number of gthread workers;
3. signs the role users in by writing sessions directly (staff sessions carry a verified
   second factor), counts each page's SQL queries with the test client, then loads every
   page with 16 keep-alive connections for a fixed duration, three times (round robin),
   reporting the median run;
4. prints a table and writes ``var/bench/latest.json``.

The load generator is wrk when installed, otherwise a small built-in asyncio client.
This module parses the options and runs the steps; the machinery is in ``devtools.bench``
(targets, server, clients, rounds, report) and ``devtools.pg``."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.bench import clients, rounds, targets
from devtools.bench.clients import run_builtin, run_wrk
from devtools.bench.clients import wrk_ms as _wrk_ms
from devtools.bench.processes import child_env, redis_client, run_manage
from devtools.bench.report import (
    RESULT_KEYS,
    format_growth,
    format_table,
    result_row,
    write_results,
)
from devtools.bench.server import gunicorn, production_env
from devtools.bench.targets import PAGES, REFERENCE, USERS
from devtools.pg import bench_database, create_database, database_url, require_postgresql

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


class Command(BaseCommand):
    help = "Benchmark the real pages against reference views on gunicorn + PostgreSQL."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--sizes", default="20000,200000", help="requests per run")
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
            help="measure every page rendered afresh (PAGE_CACHE_SECONDS=0)",
        )
        # Internal: run inside the production environment of one size, print targets.
        parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, **opts) -> None:
        if opts["prepare"]:
            self.stdout.write(json.dumps(targets.prepare()))
            return
        require_postgresql("bench needs PostgreSQL: set DATABASE_URL=postgres://...")
        sizes = [int(s) for s in opts["sizes"].split(",") if s.strip()]
        pages = [p for p in opts["pages"].split(",") if p] or list(PAGES)
        if REFERENCE not in pages:
            pages.insert(0, REFERENCE)
        unknown = set(pages) - set(PAGES)
        if unknown:
            raise CommandError(f"Unknown pages: {sorted(unknown)}")
        runner, client_name = clients.choose(opts["client"])
        static_root = settings.VAR_DIR / "bench" / "static"
        secret_key = secrets.token_urlsafe(50)  # one for every size's server
        results: list[dict] = []
        for size in sizes:
            db_url = database_url(bench_database(size))
            self._ensure_seeded(size, db_url)
            if opts["seed_only"]:
                continue
            env = production_env(
                db_url=db_url,
                static_root=static_root,
                redis_url=opts["redis_url"],
                page_cache=not opts["no_page_cache"],
                secret_key=secret_key,
            )
            redis_client(opts["redis_url"], " (--redis-url)").flushdb()
            if size == sizes[0]:
                run_manage(["collectstatic", "--noinput", "-v0"], env)
            size_targets = json.loads(run_manage(["bench", "--prepare"], env, capture=True))
            with gunicorn(
                env, port=opts["port"], workers=opts["workers"], threads=opts["threads"]
            ) as base:
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
            results += rounds.summarise(size, measured, size_targets)
        if opts["seed_only"]:
            return
        self._report(results, sizes, client_name, opts)

    def _ensure_seeded(self, size: int, db_url: str) -> None:
        """Create, migrate and seed the database of one size (each step idempotent)."""
        name = bench_database(size)
        if create_database(name):
            self.stdout.write(f"Creating database {name}")
        env = child_env(drop=("REDIS_URL",), DATABASE_URL=db_url)
        run_manage(["migrate", "--noinput", "-v0"], env)
        self.stdout.write(f"Seeding {name} ({size} requests) if needed…")
        run_manage(
            ["seed_scale", "--partners", str(max(1, size // 100)), "--requests", str(size)], env
        )

    def _report(self, results: list[dict], sizes: list[int], client_name: str, opts) -> None:
        meta = {
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "server": f"gunicorn gthread, {opts['workers']} workers x {opts['threads']} threads",
            "client": client_name,
            "connections": opts["connections"],
            "duration_s": opts["duration"],
            "runs": opts["runs"],
            "cpus": os.cpu_count(),
            "page_cache": not opts["no_page_cache"],
        }
        write_results(Path(opts["output"]), results, meta)
        self.stdout.write("")
        self.stdout.write(
            f"{meta['server']}; {client_name}, {opts['connections']} connections, "
            f"{opts['duration']:g}s per run, median of {opts['runs']} runs; {os.cpu_count()} CPUs; "
            f"page cache {'off' if opts['no_page_cache'] else 'on (Redis)'}"
        )
        self.stdout.write(format_table(results))
        self.stdout.write(format_growth(results, sizes))
        self.stdout.write(f"Written to {opts['output']}")
