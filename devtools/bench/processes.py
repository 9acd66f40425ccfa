"""Child processes of the benchmark commands: ``manage.py`` and ``python -m`` programs of
this interpreter, the environment they run in, stopping them, and the Redis they share."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable

from django.conf import settings
from django.core.management.base import CommandError


def manage_py(*args: str) -> list[str]:
    """The argument list running this project's manage.py with this interpreter."""
    return [sys.executable, str(settings.BASE_DIR / "manage.py"), *args]


def child_env(drop: Iterable[str] = (), **values: str) -> dict:
    """This process's environment without the `drop` variables, with `values` set."""
    dropped = set(drop)
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(values)
    return env


def run_manage(args: list[str], env: dict, capture: bool = False) -> str:
    """Run ``manage.py *args`` in `env`; its output when `capture`, CommandError on failure."""
    done = subprocess.run(  # noqa: S603 - this interpreter and manage.py, no shell
        manage_py(*args), env=env, cwd=settings.BASE_DIR, capture_output=capture, text=True
    )
    if done.returncode:
        raise CommandError(f"{' '.join(args)} failed:\n{done.stderr if capture else ''}")
    return done.stdout if capture else ""


def start_module(module: str, args: list[str], env: dict) -> subprocess.Popen:
    """Start ``python -m module *args`` (gunicorn, celery) in the project directory."""
    cmd = [sys.executable, "-m", module, *args]
    return subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)  # noqa: S603 - no shell


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Terminate `process`, killing it if it has not exited within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def redis_client(url: str, hint: str = ""):
    """A Redis client for `url` that answered a ping; CommandError (naming `url` and the
    `hint`, e.g. the option that sets it) when the server is not reachable."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        raise CommandError(f"Redis is not reachable at {url}{hint}: {exc}") from exc
    return client
