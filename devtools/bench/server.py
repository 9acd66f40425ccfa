"""The server under measurement: gunicorn with gthread workers on loopback, running the
production settings (DEBUG off, whitenoise, persistent database connections) minus the SSL
redirect, with the benchmark reference views on; waiting for it to be ready and quiet."""

from __future__ import annotations

import base64
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import CommandError

from devtools.bench.processes import child_env, start_module, stop
from devtools.pg import wait_idle


def production_env(
    *, db_url: str, static_root: Path, redis_url: str, page_cache: bool, secret_key: str
) -> dict:
    """The environment of the measured server (and of ``bench --prepare``) for one size."""
    return child_env(
        drop=("REDIS_URL", "DEBUG"),
        DEBUG="false",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        BENCH_REFERENCE_VIEWS="true",
        DATABASE_URL=db_url,
        CONN_MAX_AGE="600",
        STATIC_ROOT=str(static_root),
        EMAIL_URL="consolemail://",
        REDIS_URL=redis_url,
        PAGE_CACHE_SECONDS="60" if page_cache else "0",
        # The API pages are loaded far past a token's per-minute limit: measure the
        # handlers, not the limiter's 429s.
        API_RATE_LIMIT_PER_MINUTE="0",
    )


@contextmanager
def gunicorn(env: dict, *, port: int, workers: int, threads: int) -> Iterator[str]:
    """Run ``config.wsgi:application`` on 127.0.0.1:`port` until the block ends; yields
    the base URL once /healthz/?scope=web (database and Redis; no Celery worker
    runs here) answers."""
    with gunicorn_server(env, port=port, workers=workers, threads=threads) as (base, _pid):
        yield base


@contextmanager
def gunicorn_server(
    env: dict, *, port: int, workers: int, threads: int
) -> Iterator[tuple[str, int]]:
    """`gunicorn`, yielding the base URL and the master's pid (its children are the
    workers whose CPU the benchmark reads)."""
    args = ["config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    args += ["--worker-class", "gthread", "--threads", str(threads)]
    args += ["--keep-alive", "30", "--log-level", "warning", "--timeout", "60"]
    server = start_module("gunicorn", args, env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{base}/healthz/?scope=web", server)
        yield base, server.pid
    finally:
        stop(server)


def _wait_ready(url: str, server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError("gunicorn exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback http
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.3)
    raise CommandError("gunicorn did not answer /healthz/ within 60 s")


def settle(base: str, cookie: str, dbname: str) -> None:
    """Wait until requests still in flight from the last run are served (a slow page
    leaves a queue behind when the load generator stops, and the stock changelist's
    counts keep PostgreSQL busy after it), so they do not count against the next page:
    no other query is running on the benchmark database, and the constant page answers
    quickly twice in a row."""
    deadline = time.monotonic() + 60
    wait_idle(dbname, deadline)
    url = f"{base}/bench/constant/"
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    quick = 0
    while time.monotonic() < deadline and quick < 2:
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - loopback http
            pass
        quick = quick + 1 if time.monotonic() - started < 0.05 else 0
        time.sleep(0.1)
