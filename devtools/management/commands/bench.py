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

The load generator is wrk when installed, otherwise a small built-in asyncio client."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

REFERENCE = "reference_template50"
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
# The page cache needs a cache every gunicorn worker shares: a Redis database of its own,
# emptied before each data size (user ids repeat between the two benchmark databases).
DEFAULT_BENCH_REDIS = "redis://127.0.0.1:6379/13"
# page name → (role whose session is sent, or "" for anonymous)
PAGES = {
    "reference_constant": "partner",
    "reference_template50": "partner",
    "stock_admin_changelist": "superuser",
    "partner_dashboard": "partner",
    "partner_request_detail": "partner",
    "verify": "",
    "reviewer_queue": "reviewer",
    "admin_request": "reviewer",
    "manager_overview": "manager",
    "metrics": "manager",
}
USERS = {
    "partner": "scale-admin-00001",
    "reviewer": "scale-reviewer-01",
    "manager": "scale-manager",
    "superuser": "scale-superuser",
}


# --- results -------------------------------------------------------------------------------


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


def write_results(path: Path, results: list[dict], meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for row in results:
        missing = set(RESULT_KEYS) - row.keys()
        if missing:
            raise ValueError(f"result row lacks {sorted(missing)}")
    path.write_text(json.dumps({**meta, "results": results}, indent=2) + "\n")


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


# --- load generators -------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _wrk_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(url: str, cookie: str, connections: int, duration: float) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    cmd += ["--timeout", "10s"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    # Our own argument list (no shell): wrk and a loopback URL.
    done = subprocess.run([*cmd, url], capture_output=True, text=True, check=True)  # noqa: S603
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _wrk_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _wrk_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}


async def _client(host, port, request: bytes, deadline: float, latencies: list, errors: list):
    reader = writer = None
    while time.monotonic() < deadline:
        if writer is None:
            reader, writer = await asyncio.open_connection(host, port)
        start = time.monotonic()
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        if "content-length" in headers:
            await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await reader.read()
            headers["connection"] = "close"
        latencies.append((time.monotonic() - start) * 1000)
        if status >= 400:
            errors.append(status)
        if headers.get("connection", "").lower() == "close":
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


def run_builtin(url: str, cookie: str, connections: int, duration: float) -> dict:
    match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n"
    if cookie:
        request += f"Cookie: {cookie}\r\n"
    request_bytes = (request + "\r\n").encode("latin-1")
    latencies: list[float] = []
    errors: list[int] = []

    async def main():
        deadline = time.monotonic() + duration
        await asyncio.gather(
            *(
                _client(host, port, request_bytes, deadline, latencies, errors)
                for _ in range(connections)
            )
        )

    started = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else 0.0

    return {
        "rps": len(latencies) / elapsed,
        "p50": pct(0.50),
        "p99": pct(0.99),
        "errors": len(errors),
    }


# --- the command -----------------------------------------------------------------------------


def _connect(dbname: str):
    """An autocommit psycopg2 connection to `dbname` with this project's credentials."""
    import psycopg2

    params = connection.get_connection_params()
    params["dbname"] = dbname
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


def _database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "postgres", safe="")
    password = db.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}" if password else user
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


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
        parser.add_argument("--prepare", action="store_true", help=__import__("argparse").SUPPRESS)

    def handle(self, *args, **opts) -> None:
        if opts["prepare"]:
            self._prepare()
            return
        if connection.vendor != "postgresql":
            raise CommandError("bench needs PostgreSQL: set DATABASE_URL=postgres://...")
        sizes = [int(s) for s in opts["sizes"].split(",") if s.strip()]
        pages = [p for p in opts["pages"].split(",") if p] or list(PAGES)
        if REFERENCE not in pages:
            pages.insert(0, REFERENCE)
        unknown = set(pages) - set(PAGES)
        if unknown:
            raise CommandError(f"Unknown pages: {sorted(unknown)}")
        use_wrk = opts["client"] == "wrk" or (opts["client"] == "auto" and shutil.which("wrk"))
        runner = run_wrk if use_wrk else run_builtin
        client_name = "wrk" if use_wrk else "built-in asyncio client"
        base_name = settings.DATABASES["default"]["NAME"]
        static_root = settings.VAR_DIR / "bench" / "static"
        results: list[dict] = []
        for size in sizes:
            db_url = _database_url(f"{base_name}_bench_{size}")
            self._ensure_seeded(base_name, size, db_url)
            if opts["seed_only"]:
                continue
            env = self._production_env(db_url, static_root, opts)
            self._flush_redis(opts["redis_url"])
            if size == sizes[0]:
                self._run(["collectstatic", "--noinput", "-v0"], env)
            targets = json.loads(self._run(["bench", "--prepare"], env, capture=True))
            results += self._measure(size, pages, targets, env, runner, opts)
        if opts["seed_only"]:
            return
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
        self.stdout.write(self._growth(results, sizes))
        self.stdout.write(f"Written to {opts['output']}")

    # -- setup ---------------------------------------------------------------------------------

    def _run(self, args: list[str], env: dict, capture: bool = False) -> str:
        cmd = [sys.executable, str(settings.BASE_DIR / "manage.py"), *args]
        done = subprocess.run(  # noqa: S603 - this interpreter and manage.py, no shell
            cmd, env=env, cwd=settings.BASE_DIR, capture_output=capture, text=True
        )
        if done.returncode:
            raise CommandError(f"{' '.join(args)} failed:\n{done.stderr if capture else ''}")
        return done.stdout if capture else ""

    def _ensure_seeded(self, base_name: str, size: int, db_url: str) -> None:
        name = f"{base_name}_bench_{size}"
        conn = _connect("postgres")
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                self.stdout.write(f"Creating database {name}")
                cursor.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        env = {**os.environ, "DATABASE_URL": db_url}
        env.pop("REDIS_URL", None)
        self._run(["migrate", "--noinput", "-v0"], env)
        self.stdout.write(f"Seeding {name} ({size} requests) if needed…")
        self._run(
            ["seed_scale", "--partners", str(max(1, size // 100)), "--requests", str(size)], env
        )

    def _flush_redis(self, url: str) -> None:
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
        except redis.exceptions.ConnectionError as exc:
            raise CommandError(f"Redis is not reachable at {url} (--redis-url): {exc}") from exc

    def _production_env(self, db_url: str, static_root: Path, opts: dict) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEBUG")}
        env.update(
            DEBUG="false",
            SECRET_KEY=getattr(self, "_secret", None) or secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            SECURE_SSL_REDIRECT="false",
            SECURE_HSTS_SECONDS="0",
            BENCH_REFERENCE_VIEWS="true",
            DATABASE_URL=db_url,
            CONN_MAX_AGE="600",
            STATIC_ROOT=str(static_root),
            EMAIL_URL="consolemail://",
            REDIS_URL=opts["redis_url"],
            PAGE_CACHE_SECONDS="0" if opts["no_page_cache"] else "60",
        )
        self._secret = env["SECRET_KEY"]
        return env

    # -- measuring -----------------------------------------------------------------------------

    def _measure(self, size, pages, targets, env, runner, opts) -> list[dict]:
        port = opts["port"]
        cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
        cmd += ["--bind", f"127.0.0.1:{port}", "--workers", str(opts["workers"])]
        cmd += ["--worker-class", "gthread", "--threads", str(opts["threads"])]
        cmd += ["--keep-alive", "30", "--log-level", "warning", "--timeout", "60"]
        server = subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)  # noqa: S603
        base = f"http://127.0.0.1:{port}"
        try:
            self._wait_ready(f"{base}/healthz/", server)
            runs: dict[str, list[dict]] = {page: [] for page in pages}
            for page in pages:  # warm every worker's connection, templates and caches
                runner(
                    base + targets["urls"][page], targets["cookies"][page], opts["connections"], 1
                )
                self._settle(base, targets["cookies"][REFERENCE], size)
            for run in range(opts["runs"]):
                for page in pages:
                    got = runner(
                        base + targets["urls"][page],
                        targets["cookies"][page],
                        opts["connections"],
                        opts["duration"],
                    )
                    if got["errors"]:
                        raise CommandError(f"{page}: {got['errors']} error responses")
                    runs[page].append(got)
                    self._settle(base, targets["cookies"][REFERENCE], size)
                    self.stdout.write(
                        f"  {size:>7} run {run + 1} {page:<24} {got['rps']:8.1f} req/s "
                        f"p50 {got['p50']:.1f} ms p99 {got['p99']:.1f} ms"
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)
        medians = {}
        for page, got in runs.items():
            median_rps = statistics.median(g["rps"] for g in got)
            medians[page] = min(got, key=lambda g: abs(g["rps"] - median_rps))
        ref = medians[REFERENCE]["rps"]
        ratios = {
            page: statistics.median(
                g["rps"] / r["rps"] for g, r in zip(got, runs[REFERENCE], strict=True) if r["rps"]
            )
            for page, got in runs.items()
        }
        return [
            result_row(
                page,
                size,
                m["rps"],
                m["p50"],
                m["p99"],
                targets["queries"].get(page),
                ref,
                targets["queries_uncached"].get(page),
                ratio=ratios[page],
            )
            for page, m in medians.items()
        ]

    def _settle(self, base: str, cookie: str, size: int) -> None:
        """Wait until requests still in flight from the last run are served (a slow page
        leaves a queue behind when the load generator stops, and the stock changelist's
        counts keep PostgreSQL busy after it), so they do not count against the next page:
        no other query is running on the benchmark database, and the constant page answers
        quickly twice in a row."""
        dbname = f"{settings.DATABASES['default']['NAME']}_bench_{size}"
        deadline = time.monotonic() + 60
        conn = _connect(dbname)
        try:
            with conn.cursor() as cursor:
                while time.monotonic() < deadline:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                        "AND state = 'active' AND pid <> pg_backend_pid()",
                        [dbname],
                    )
                    if cursor.fetchone()[0] == 0:
                        break
                    time.sleep(0.2)
        finally:
            conn.close()
        url = f"{base}/bench/constant/"
        request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
        quick = 0
        while time.monotonic() < deadline and quick < 2:
            started = time.monotonic()
            with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - loopback http
                pass
            quick = quick + 1 if time.monotonic() - started < 0.05 else 0
            time.sleep(0.1)

    def _wait_ready(self, url: str, server: subprocess.Popen) -> None:
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

    def _growth(self, results: list[dict], sizes: list[int]) -> str:
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

    # -- inside the production environment -------------------------------------------------

    def _prepare(self) -> None:
        """Sessions for the role users, the URLs to load and each page's query count."""
        from django.contrib.auth import (
            BACKEND_SESSION_KEY,
            HASH_SESSION_KEY,
            SESSION_KEY,
            get_user_model,
        )
        from django.contrib.sessions.backends.db import SessionStore
        from django.test import Client
        from django.test.utils import CaptureQueriesContext, override_settings
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from certifications.enums import RequestState
        from certifications.models import Certificate, CertificationRequest

        User = get_user_model()
        cookies = {"": ""}
        for role, username in USERS.items():
            user = User.objects.get(username=username)
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            if user.is_staff:
                device, _ = TOTPDevice.objects.get_or_create(
                    user=user, name="bench", defaults={"confirmed": True}
                )
                store[DEVICE_ID_SESSION_KEY] = device.persistent_id
            store.create()
            cookies[role] = f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
        partner_user = User.objects.get(username=USERS["partner"])
        reviewer = User.objects.get(username=USERS["reviewer"])
        mine = CertificationRequest.objects.filter(
            integration__partner__memberships__user=partner_user
        )
        detail = mine.filter(state=RequestState.CHANGES_REQUESTED).order_by("-pk").first()
        detail = detail or mine.order_by("-pk").first()
        certificate = Certificate.objects.filter(request__in=mine).order_by("-pk").first()
        reviewed = (
            CertificationRequest.objects.filter(
                assigned_reviewer=reviewer, state=RequestState.USER_TESTING
            )
            .order_by("-pk")
            .first()
        )
        admin_list = "/admin/certifications/certificationrequest/"
        urls = {
            "reference_constant": "/bench/constant/",
            "reference_template50": "/bench/template50/",
            "stock_admin_changelist": "/bench/stock-admin/certifications/certificationrequest/",
            "partner_dashboard": "/portal/",
            "partner_request_detail": f"/portal/requests/{detail.pk}/",
            "verify": f"/verify/{certificate.verification_code}/",
            # the queue: awaiting review, soonest due first (the admin's default order)
            "reviewer_queue": f"{admin_list}?state__exact={RequestState.SUBMITTED}",
            "admin_request": f"{admin_list}{reviewed.pk}/change/",
            "manager_overview": "/manage/",
            "metrics": "/manage/metrics/",
        }

        def count(page: str, path: str) -> int:
            client = Client(HTTP_HOST="127.0.0.1")
            cookie = cookies[PAGES[page]]
            if cookie:
                name, value = cookie.split("=", 1)
                client.cookies[name] = value
            client.get(path)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path)
            if response.status_code != 200:
                raise CommandError(f"{page} {path} answered {response.status_code}")
            return len(ctx.captured_queries)

        queries = {page: count(page, path) for page, path in urls.items()}
        with override_settings(PAGE_CACHE_SECONDS=0):
            uncached = {page: count(page, path) for page, path in urls.items()}
        page_cookies = {page: cookies[role] for page, role in PAGES.items()}
        self.stdout.write(
            json.dumps(
                {
                    "urls": urls,
                    "cookies": page_cookies,
                    "queries": queries,
                    "queries_uncached": uncached,
                }
            )
        )
