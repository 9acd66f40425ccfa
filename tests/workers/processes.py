"""Real processes for the broker-outage tests: a Redis server of the test's own (so stopping
it never touches the Redis everybody else uses) and `celery -A config worker|beat` run as
production runs them, in subprocesses that share the test database."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from django.db import connection

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not met within {timeout:.0f} s: {what or condition}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server on a free loopback port, in memory only (no RDB/AOF): `stop()` is a
    crash that loses the broker's contents, `start()` brings an empty server back on the
    same port, which is what the worker reconnects to."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url(db), socket_connect_timeout=1, socket_timeout=2)

    def start(self) -> None:
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(self._answers, 10, f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """SHUTDOWN NOSAVE: the server exits at once and closes every client's socket."""
        if self.process is None:
            return
        try:
            self.client().shutdown(nosave=True)
        except redis.RedisError:
            self.process.kill()
        self.process.wait(10)
        self.process = None


@contextmanager
def private_redis(workdir: Path) -> Iterator[PrivateRedis]:
    require_service(
        "Redis", shutil.which("redis-server") is not None, "no redis-server binary on PATH"
    )
    server = PrivateRedis(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def shared_database_url() -> str:
    """DATABASE_URL of the test database this process uses, for a subprocess to share it
    (its rows are visible there because the tests using it commit: transaction=True)."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class CeleryProcess:
    """`python -m celery -A config <args>` with its own environment, logging to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so stop() reaches the pool's children too
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def count(self, pattern: str) -> int:
        return len(re.findall(pattern, self.text()))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a crash would."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.alive:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


def process_env(*, redis_url: str, mail_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "REDIS_", "DATABASE_", "EMAIL_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=shared_database_url(),
        REDIS_URL=redis_url,
        # One file per e-mail connection; the tests count the subjects in them.
        EMAIL_URL=f"filemail:///{mail_dir}",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


@contextmanager
def celery_process(
    args: list[str], *, env: dict[str, str], log: Path, ready: str
) -> Iterator[CeleryProcess]:
    """Start it, wait until its log shows `ready` (a regular expression), stop it after."""
    proc = CeleryProcess(args, env, log)
    try:
        wait_for(
            lambda: re.search(ready, proc.text()) is not None or not proc.alive,
            45,
            f"celery {args[0]} to start",
        )
        assert proc.alive, proc.text()[-3000:]
        yield proc
    finally:
        proc.stop()


def sent_subjects(mail_dir: Path) -> list[str]:
    """Subjects of every message the file e-mail backend wrote, one entry per message."""
    subjects: list[str] = []
    for path in sorted(mail_dir.glob("*")):
        subjects += re.findall(r"^Subject: (.*)$", path.read_text(errors="replace"), re.M)
    return subjects


def sent_messages(mail_dir: Path) -> list[str]:
    """Every message the file e-mail backend wrote, as text (it separates them by a line of
    79 dashes)."""
    messages: list[str] = []
    for path in sorted(mail_dir.glob("*")):
        text = path.read_text(errors="replace")
        messages += [part for part in text.split("-" * 79) if part.strip()]
    return messages
