"""One page loaded serially over one keep-alive connection, with the server's CPU per
request: what a page costs drawn afresh on a server of one worker and one thread (so all
the worker's CPU between two readings is this page's)."""

from __future__ import annotations

import http.client
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.management.base import CommandError

from devtools.bench.procstat import CpuMeter


@dataclass
class Connection:
    """A keep-alive HTTP connection to the server at `base` sending `cookie`."""

    base: str
    cookie: str = ""
    _conn: http.client.HTTPConnection | None = field(default=None, repr=False)

    def get(self, path: str) -> tuple[int, dict[str, str]]:
        """GET `path`; its status and headers (lower-cased names), the body read."""
        for attempt in (1, 2):
            if self._conn is None:
                parts = urlsplit(self.base)
                self._conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
            try:
                headers = {"Cookie": self.cookie} if self.cookie else {}
                self._conn.request("GET", path, headers=headers)
                response = self._conn.getresponse()
                response.read()
                return response.status, {k.lower(): v for k, v in response.getheaders()}
            except (http.client.HTTPException, ConnectionError):
                self.close()  # the server closed the idle connection: once more
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def measure(
    base: str,
    path: str,
    cookie: str,
    *,
    meter: CpuMeter,
    db_meter: CpuMeter | None = None,
    warmup: int = 3,
    min_requests: int = 20,
    min_seconds: float = 2.0,
    max_seconds: float = 20.0,
    least: int = 5,
) -> dict:
    """Load `path` `warmup` times, then at least `min_requests` times and `min_seconds`
    (but stop after `max_seconds` once `least` are done: the slow reference peers).

    Returns requests, cpu_ms (the worker's CPU per request), wall_ms (median) and
    db_cpu_ms (PostgreSQL backends' CPU per request, None without `db_meter`)."""
    conn = Connection(base, cookie)
    try:
        for _ in range(warmup):
            _check(path, conn.get(path)[0])
        walls: list[float] = []
        meter.start()
        if db_meter is not None:
            db_meter.start()
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            enough = len(walls) >= min_requests and elapsed >= min_seconds
            if enough or (len(walls) >= least and elapsed >= max_seconds):
                break
            t0 = time.perf_counter()
            status, _headers = conn.get(path)
            walls.append((time.perf_counter() - t0) * 1000)
            _check(path, status)
        cpu = meter.stop()
        db_cpu = db_meter.stop() if db_meter is not None else None
    finally:
        conn.close()
    n = len(walls)
    return {
        "requests": n,
        "cpu_ms": cpu * 1000 / n,
        "wall_ms": statistics.median(walls),
        "db_cpu_ms": None if db_cpu is None else db_cpu * 1000 / n,
    }


def _check(path: str, status: int) -> None:
    if status != 200:
        raise CommandError(f"{path} answered {status}")
