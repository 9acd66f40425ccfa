"""A worker SIGKILLed mid-grant (issue 20, item 2): after a restart every grant reaches its
final state within two minutes, and GitHub sees each invitation exactly once.

Real ``celery -A config worker`` processes (prefork, as in production) on Redis and the
test database, against the fake GitHub on loopback, made slow so that the kill lands while
an invitation is in flight: GitHub gets it, the worker never records it. What has to work:
the dead worker's lock lapses (``LOCK_TTL``), the sync queued behind it waits that out, the
killed task comes back after the visibility timeout (small here through
``CELERY_VISIBILITY_TIMEOUT``, as an operator would set it), the restarted worker's
reconcile runs, and none of them invites anyone twice.

The workers consume a queue of their own, so a developer's worker on the same Redis never
takes these tasks, and nothing here flushes a Redis database others may be using.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from certifications import services as cert_services
from reviews.access import RECONCILE_LOCK, sync_lock_key
from reviews.models import GrantState, RepoAccessGrant
from reviews.tasks import task_sync_repo_access
from tests.conftest import require_service
from tests.workers.conftest import broker_at, redis_url

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LOGINS = ("rev-ada", "rev-bob", "rev-cy")
LATENCY = 0.5  # seconds per fake GitHub request: a sync takes ~4 s, the kill lands inside
TIME_LIMIT = 12  # the visibility timeout must exceed the longest task, here as in production
# Small, so the killed task comes back within the test; longer than what a live worker holds
# unacknowledged (a task, a retry's countdown, the reconcile queued LOCK_TTL + 5 s after
# start), so nothing is handed out twice, as in production.
VISIBILITY_TIMEOUT = 40
GOAL = 120  # seconds from the kill to every grant final (the goal)
DEADLINE = 75  # what this test waits: well inside the goal, keeps the test short


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout:g} s")


def _database_url() -> str:
    """The test database, for the worker processes."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Starts and kills worker processes (each in its own session, so killing its process
    group kills the pool children too, as an OOM kill or a lost container would)."""

    def __init__(self, broker: str, queue: str, env: dict[str, str], logs: Path) -> None:
        self.broker, self.queue, self.env, self.logs = broker, queue, env, logs
        self.started: list[subprocess.Popen] = []
        self.integration_id: int | None = None  # whose lock to clear afterwards

    def start(self, name: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--queues",
                self.queue,
                "--hostname",
                f"{name}-{self.queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        """Warm shutdown (running tasks finish, locks are released), then kill."""
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            # Pool children outlive a killed main process; none may touch the database
            # after the test.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def log(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )


def _ours(client: redis.Redis, queue: str) -> list[bytes]:
    """Delivery tags of unacknowledged messages (held by a worker, dead or alive) of
    ``queue``; kombu keeps them in the ``unacked`` hash as [message, exchange, key]."""
    return [
        tag for tag, payload in client.hgetall("unacked").items() if json.loads(payload)[2] == queue
    ]


def _drained(client: redis.Redis, queue: str) -> bool:
    """No message of ``queue`` waiting, held for an ETA, running or held by the dead."""
    return client.llen(queue) == 0 and not _ours(client, queue)


def _cleanup(client: redis.Redis, queue: str, integration_id: int | None) -> None:
    for tag in _ours(client, queue):
        client.hdel("unacked", tag)
        client.zrem("unacked_index", tag)
    client.delete(
        # The queue, its priority lists and bindings, anything else keyed by its name.
        *client.keys(f"*{queue}*"),
        # The workers are gone; a lock one of them held must not wait out its TTL in the
        # Redis this test process shares with them (the next test's reconcile). Named as
        # the cache names them (its key prefix differs per pytest-xdist worker).
        cache.make_key(RECONCILE_LOCK),
        *([cache.make_key(sync_lock_key(integration_id))] if integration_id else []),
    )


@pytest.fixture
def workers(gh, tmp_path) -> Iterator[Workers]:
    """Worker processes on the Redis of ``REDIS_URL`` (the test cache is there too), the
    test database and the fake GitHub, with a queue of their own."""
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "worker processes need DATABASE_URL=postgres://... (they open the test database)",
    )
    broker = settings.REDIS_URL or redis_url()
    client = redis.Redis.from_url(broker, socket_connect_timeout=1, socket_timeout=5)
    try:
        client.ping()
        available, why = True, ""
    except redis.RedisError as exc:
        available, why = False, f"{broker}: {exc}"
    require_service("Redis", available, why or "unreachable")
    queue = f"test-killed-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": broker,
        "EMAIL_URL": "memorymail://",
        "GITHUB_API_URL": gh.base_url,
        "GITHUB_TOKEN": gh.token,
        "GITHUB_APP_ID": "",
        "GITHUB_APP_PRIVATE_KEY": "",
        "GITHUB_APP_INSTALLATION_ID": "",
        "GITHUB_REVIEWER_LOGINS": ",".join(LOGINS),
        "GITHUB_REVOKE_ON_CLOSE": "false",
        "GITHUB_TIMEOUT": "5",
        "GITHUB_SECONDS_BETWEEN_REQUESTS": "0",
        "GITHUB_SECONDS_BETWEEN_WRITES": "0",
        "CELERY_TASK_TIME_LIMIT": str(TIME_LIMIT),
        "CELERY_TASK_SOFT_TIME_LIMIT": str(TIME_LIMIT - 2),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    manager = Workers(broker, queue, env, tmp_path)
    try:
        yield manager
    finally:
        manager.stop_all()
        _cleanup(client, queue, manager.integration_id)
        client.close()


def _final_states(integration_id: int) -> dict[str, str]:
    return dict(
        RepoAccessGrant.objects.filter(integration_id=integration_id).values_list(
            "github_login", "state"
        )
    )


@pytest.mark.slow(seconds=50)
def test_sigkill_mid_grant_recovers_with_each_invitation_once(
    workers, gh, draft, partner_admin, settings, record_property
):
    settings.GITHUB_REVIEWER_LOGINS = list(LOGINS)
    # This process has no GitHub credentials: its in-process sync at submit records the
    # grants pending and leaves every GitHub call to the workers.
    settings.GITHUB_TOKEN = ""
    cert_services.request_submit(request=draft, actor=partner_admin)
    integration_id = workers.integration_id = draft.integration_id
    assert _final_states(integration_id) == dict.fromkeys(LOGINS, GrantState.PENDING)
    assert gh.count() == 0
    gh.latency = LATENCY
    client = redis.Redis.from_url(workers.broker)

    first = workers.start("first")
    with broker_at(workers.broker):
        task_sync_repo_access.apply_async(
            kwargs={"integration_id": integration_id}, queue=workers.queue
        )
    try:
        wait_for(
            lambda: gh.count("PUT */collaborators/*") >= 1 or first.poll() is not None,
            60,
            "first invitation sent",
        )
    except AssertionError:
        pytest.fail(f"the first worker never invited anyone\n{workers.log()}")
    assert first.poll() is None, f"the first worker exited\n{workers.log()}"

    # The invitation is in flight: GitHub has it, the worker has not seen the answer.
    workers.kill(first)
    killed_at = time.monotonic()
    assert set(_final_states(integration_id).values()) == {GrantState.PENDING}
    second = workers.start("second")
    # An event queues the next sync while the dead worker's lock still stands.
    with broker_at(workers.broker):
        task_sync_repo_access.apply_async(
            kwargs={"integration_id": integration_id}, queue=workers.queue
        )

    try:
        wait_for(
            lambda: _final_states(integration_id) == dict.fromkeys(LOGINS, GrantState.INVITED),
            DEADLINE,
            "every grant invited",
        )
    except AssertionError:
        pytest.fail(f"grants after {DEADLINE} s: {_final_states(integration_id)}\n{workers.log()}")
    recovery = time.monotonic() - killed_at
    record_property("recovery_seconds", round(recovery, 1))
    print(f"every grant final {recovery:.1f} s after the SIGKILL")
    # Everything still queued runs before invitations are counted: the busy retries, the
    # restarted worker's reconcile, and the killed task, which leaves the dead worker's
    # unacknowledged messages only when the visibility timeout hands it out again.
    wait_for(lambda: _drained(client, workers.queue), 60, "queue drained")
    assert second.poll() is None, workers.log()

    assert recovery < GOAL
    for login in LOGINS:
        assert gh.count(f"PUT */collaborators/{login}") == 1, login
    invitations = gh.repo("acme/captions").invitations.values()
    assert sorted(i.login for i in invitations) == sorted(LOGINS)
    grants = RepoAccessGrant.objects.filter(integration_id=integration_id)
    assert {g.invitation_id for g in grants} == {i.id for i in invitations}
    assert set(grants.values_list("last_error", flat=True)) == {""}
    client.close()
