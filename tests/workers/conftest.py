"""Fixtures for background-work tests: a fake GitHub with one partner repository, a
submitted request, and Celery pointed at a real Redis (or at a dead port)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import kombu.pools
import pytest
import redis
from django.db import connection

from config.celery import app as celery_app
from tests.conftest import require_service

SHA = "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0"  # the commit tests.factories packages
REVIEWER_LOGIN = "kaltura-reviewer"
# A spare Redis database so a developer's running worker (db 0) never sees test tasks;
# TEST_WORKER_REDIS_DB gives two checkouts running the worker tests at once their own.
# Under pytest-xdist each worker (PYTEST_XDIST_WORKER=gw0, gw1, ...) takes the next one
# up, since redis_broker empties its database before and after each test.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
WORKER_REDIS_DB = int(os.environ.get("TEST_WORKER_REDIS_DB", "13")) + int(_XDIST_WORKER[2:] or 0)
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


def redis_url() -> str:
    base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    return base.rsplit("/", 1)[0] + f"/{WORKER_REDIS_DB}"


@pytest.fixture
def gh(fake_github, settings):
    """Fake GitHub holding the partner's private repo acme/captions with the commit."""
    settings.GITHUB_REVIEWER_LOGINS = [REVIEWER_LOGIN]
    settings.GITHUB_REVOKE_ON_CLOSE = False
    settings.GITHUB_REVOKE_IDLE_DAYS = 30
    fake_github.add_repo("acme/captions", private=True, commits=[SHA])
    return fake_github


def _reset_pools(app) -> None:
    # Connection and producer pools bind the broker URL when first used; drop them all so
    # the next publish connects to the URL now configured.
    app._pool = None
    app.amqp._producer_pool = None
    kombu.pools.reset()


def _conf_update(values: dict[str, object]) -> None:
    # Under the settings' CELERY_ names: the app reads its configuration from Django's
    # settings with namespace="CELERY", and celery 5.6 looks a setting up by that name
    # before the plain one, so conf.update(broker_url=...) would be shadowed there.
    celery_app.conf.update({f"CELERY_{key.upper()}": value for key, value in values.items()})


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Publish for real (not eagerly) to ``url`` for the duration."""
    keys = ("broker_url", "task_always_eager", "result_backend")
    old = {k: celery_app.conf[k] for k in keys}
    _conf_update({"broker_url": url, "task_always_eager": False, "result_backend": None})
    _reset_pools(celery_app)
    try:
        yield
    finally:
        _conf_update(old)
        _reset_pools(celery_app)


@pytest.fixture(autouse=True)
def eager_celery() -> Iterator[None]:
    """Run tasks in-process even when REDIS_URL is set: nothing here may publish to the
    developer's Redis; tests that want a broker use ``broker_at`` / ``celery_worker``."""
    keys = ("broker_url", "task_always_eager", "task_eager_propagates")
    old = {k: celery_app.conf[k] for k in keys}
    _conf_update(
        {"broker_url": "memory://", "task_always_eager": True, "task_eager_propagates": True}
    )
    _reset_pools(celery_app)
    try:
        yield
    finally:
        _conf_update(old)
        _reset_pools(celery_app)


@pytest.fixture
def redis_broker() -> Iterator[str]:
    """A reachable Redis for the broker, emptied before and after (skip/fail if none)."""
    url = redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
        available, why = True, ""
    except redis.RedisError as exc:
        available, why = False, f"{url}: {exc}"
    require_service("Redis", available, why or "unreachable")
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def celery_worker(redis_broker) -> Iterator[object]:
    """A real Celery worker thread consuming from Redis, in this process (same test DB)."""
    from celery.contrib.testing.worker import start_worker

    # SQLite's shared in-memory test database answers "table is locked" to a second
    # thread instead of waiting, so a worker thread needs the real database server.
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "a worker thread needs DATABASE_URL=postgres://... (SQLite test DBs lock tables)",
    )
    with (
        broker_at(redis_broker),
        start_worker(celery_app, perform_ping_check=False, pool="solo", loglevel="WARNING") as w,
    ):
        yield w
