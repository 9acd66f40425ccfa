"""Mode ``mixed``: many distinct people at once with writes, on the production-like server
with the page cache on. Every person (`devtools.bench.population`) reloads their pages on
their own keep-alive connection on the plan of `devtools.bench.schedule`; a child process
in the production environment makes the writes (`devtools.bench.writes`) on the same
clock. Per page: p50/p95/p99 and the page-cache hit rate (the ``X-Page-Cache`` header);
per run: requests, writes, late reloads and the server's CPU per request."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable
from urllib.parse import urlsplit

from django.core.management.base import CommandError

from devtools.bench import schedule
from devtools.bench.clients import read_response, request_bytes
from devtools.bench.population import WRITE_INTERVAL
from devtools.bench.processes import manage_py
from devtools.bench.procstat import CpuMeter
from devtools.bench.stats import percentile

MIXED_KEYS = (
    "page",
    "requests_in_db",
    "rate",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "hit_rate",
    "requests",
    "errors",
)
RUN_KEYS = (
    "requests_in_db",
    "rate",
    "speed",
    "seconds",
    "people",
    "planned_requests",
    "requests",
    "rps",
    "writes",
    "write_errors",
    "late_reloads",
    "server_cpu_ms",
    "hit_rate",
)
# rate name → multiple of the realistic rate
RATES = {"realistic": 1.0, "x5": 5.0}
LATE_SECONDS = 1.0  # a reload starting later than this behind its plan counts as late


class Person:
    """One person's connection and their samples: (page, ms, status, X-Page-Cache)."""

    def __init__(self, host: str, port: int, spec: dict, samples: list) -> None:
        self.host, self.port, self.spec, self.samples = host, port, spec, samples
        self.reader = self.writer = None

    async def reload(self) -> None:
        for page, path in self.spec["pages"]:
            request = request_bytes(self.host, path, self.spec["cookie"])
            started = time.monotonic()
            status, headers = await self._get(request)
            ms = (time.monotonic() - started) * 1000
            self.samples.append((page, ms, status, headers.get("x-page-cache", "")))

    async def _get(self, request: bytes) -> tuple[int, dict]:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(request)
                await self.writer.drain()
                status, headers = await read_response(self.reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()  # an idle connection the server closed: once more
                if attempt == 2:
                    raise
                continue
            if headers.get("connection", "").lower() == "close":
                self.close()
            return status, headers
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


def _hostport(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    return parts.hostname, parts.port


def warm(base: str, people: list[dict], concurrency: int = 4) -> None:
    """One reload by everyone, `concurrency` at a time (not measured): the cache a
    running program has, not an empty one."""
    host, port = _hostport(base)

    async def main():
        gate = asyncio.Semaphore(concurrency)

        async def one(spec):
            async with gate:
                person = Person(host, port, spec, [])
                await person.reload()
                person.close()

        await asyncio.gather(*(one(spec) for spec in people))

    asyncio.run(main())


def _load(base: str, people: list[dict], seconds: float, speed: float, start: float):
    """Everyone reloading on plan from `start` (time.monotonic) for `seconds`; returns the
    samples and how late each reload began."""
    host, port = _hostport(base)
    samples: list = []
    lateness: list[float] = []

    async def main():
        persons = [Person(host, port, spec, samples) for spec in people]

        async def run(i, person):
            plan = schedule.times(person.spec["period"], schedule.phase(i), seconds, speed)
            lateness.extend(await schedule.follow(plan, start, person.reload))
            person.close()

        await asyncio.gather(*(run(i, p) for i, p in enumerate(persons)))

    asyncio.run(main())
    return samples, lateness


def planned(people: list[dict], seconds: float, speed: float) -> int:
    """The requests the plan asks for in `seconds` (what a fast enough server serves)."""
    return sum(
        len(schedule.times(spec["period"], schedule.phase(i), seconds, speed)) * len(spec["pages"])
        for i, spec in enumerate(people)
    )


def _start_writer(env: dict, seconds: float, speed: float) -> subprocess.Popen:
    plan = json.dumps({"seconds": seconds, "interval": WRITE_INTERVAL / speed})
    writer = subprocess.Popen(  # noqa: S603 - this interpreter and manage.py, no shell
        manage_py("bench", "--mixed-writes", plan),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in writer.stdout:  # anything the start-up printed first is skipped
        if line.strip() == "ready":
            return writer
    writer.kill()
    raise CommandError("the mixed workload's writer did not start")


def run_mixed(
    base: str,
    size: int,
    people: list[dict],
    *,
    env: dict,
    rate: str,
    seconds: float,
    meter: CpuMeter,
    write: Callable[[str], object],
) -> tuple[list[dict], dict]:
    """One rate for `seconds`: the page rows and the run's summary."""
    speed = RATES[rate]
    writer = _start_writer(env, seconds, speed)
    start_wall = time.time() + 0.5
    start = time.monotonic() + 0.5
    writer.stdin.write(f"{start_wall}\n")
    writer.stdin.flush()
    meter.start()
    samples, lateness = _load(base, people, seconds, speed, start)
    cpu = meter.stop()
    elapsed = time.monotonic() - start
    out, _ = writer.communicate(timeout=120)
    if writer.returncode:
        raise CommandError("the mixed workload's writer failed")
    written = json.loads(out.strip().splitlines()[-1])
    rows = page_rows(size, rate, samples)
    summary = run_summary(size, rate, speed, seconds, len(people), samples, written, cpu)
    summary["planned_requests"] = planned(people, seconds, speed)
    summary["rps"] = round(len(samples) / elapsed, 1) if elapsed > 0 else 0.0
    summary["late_reloads"] = sum(1 for s in lateness if s > LATE_SECONDS)
    write(
        f"  {size:>7} mixed {rate:<9} {summary['requests']} requests, {summary['writes']} writes, "
        f"hit rate {_pct(summary['hit_rate'])}, server cpu {summary['server_cpu_ms']:.2f} ms/request"
    )
    return rows, summary


def _hit_rate(caches: list[str]) -> float | None:
    hits = caches.count("hit")
    misses = caches.count("miss")
    return round(hits / (hits + misses), 3) if hits + misses else None


def page_rows(size: int, rate: str, samples: list) -> list[dict]:
    """One row per page from (page, ms, status, X-Page-Cache) samples; `hit_rate` is None
    for pages that do not go through the page cache (no header)."""
    by_page: dict[str, list] = defaultdict(list)
    for sample in samples:
        by_page[sample[0]].append(sample)
    rows = []
    for page, got in by_page.items():
        ms = [s[1] for s in got]
        rows.append(
            {
                "page": page,
                "requests_in_db": size,
                "rate": rate,
                "p50_ms": round(percentile(ms, 0.50), 1),
                "p95_ms": round(percentile(ms, 0.95), 1),
                "p99_ms": round(percentile(ms, 0.99), 1),
                "hit_rate": _hit_rate([s[3] for s in got]),
                "requests": len(got),
                "errors": sum(1 for s in got if s[2] >= 400),
            }
        )
    return rows


def run_summary(
    size: int,
    rate: str,
    speed: float,
    seconds: float,
    people: int,
    samples: list,
    written: dict,
    cpu_seconds: float,
) -> dict:
    n = len(samples)
    return {
        "requests_in_db": size,
        "rate": rate,
        "speed": speed,
        "seconds": seconds,
        "people": people,
        "planned_requests": 0,
        "requests": n,
        "rps": 0.0,
        "writes": written.get("writes", 0),
        "write_errors": written.get("errors", []),
        "late_reloads": 0,
        "server_cpu_ms": round(cpu_seconds * 1000 / n, 2) if n else 0.0,
        "hit_rate": _hit_rate([s[3] for s in samples]),
    }


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def format_mixed(rows: list[dict], runs: list[dict]) -> str:
    head = f"{'page':<24}{'requests':>9}{'rate':>10}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}"
    head += f"{'p99 ms':>9}{'hits':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['page']:<24}{r['requests_in_db']:>9}{r['rate']:>10}{r['requests']:>6}"
            f"{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['p99_ms']:>9.1f}{_pct(r['hit_rate']):>7}"
        )
    for run in runs:
        lines.append(
            f"  {run['requests_in_db']} {run['rate']}: {run['people']} people, "
            f"{run['requests']} of {run['planned_requests']} planned requests in "
            f"{run['seconds']:g} s ({run['rps']} req/s), "
            f"{run['writes']} writes ({len(run['write_errors'])} refused), "
            f"{run['late_reloads']} reloads > {LATE_SECONDS:g} s late, hit rate "
            f"{_pct(run['hit_rate'])}, server CPU {run['server_cpu_ms']:.2f} ms per request"
        )
    return "\n".join(lines)
