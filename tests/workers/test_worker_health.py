"""Issue 20, item 1: /healthz/ sees a dead worker. Real `celery -A config beat` and
`worker` processes on a Redis of this test's own send and record the heartbeat; the test
reads it through /healthz/ the way a monitor would, kills the worker, and watches the
check turn stale, then healthy again when a new worker starts."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from tests.conftest import require_service
from tests.workers.processes import celery_process, private_redis, process_env, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db]

BEAT_SECONDS = 1
STALE_SECONDS = 4


def _workers(client) -> tuple[int, str]:
    response = client.get("/healthz/")
    return response.status_code, response.json()["checks"]["workers"]


@pytest.mark.slow(seconds=10)
def test_healthz_turns_stale_when_the_worker_dies_and_recovers_with_a_new_one(
    client, settings, tmp_path
):
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "the worker subprocesses share the test database only on PostgreSQL",
    )
    with private_redis(tmp_path) as server:
        # This process reads the heartbeats where the workers write them.
        settings.REDIS_URL = server.url()
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": server.url(),
                # The workers' prefix (per pytest-xdist worker, config/settings.py).
                "KEY_PREFIX": settings.CACHE_KEY_PREFIX,
            }
        }
        settings.WORKER_HEARTBEAT_STALE_SECONDS = STALE_SECONDS
        env = process_env(
            redis_url=server.url(),
            mail_dir=tmp_path,
            WORKER_HEARTBEAT_SECONDS=str(BEAT_SECONDS),
            WORKER_HEARTBEAT_STALE_SECONDS=str(STALE_SECONDS),
        )
        worker_args = ["worker", "--loglevel", "INFO", "--concurrency", "1"]
        name = uuid.uuid4().hex[:8]
        assert _workers(client)[0] == 503  # nothing has ever reported

        with celery_process(
            ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")],
            env=env,
            log=tmp_path / "beat.log",
            ready=r"beat: Starting",
        ):
            with celery_process(
                [*worker_args, "--hostname", f"first-{name}@%h"],
                env=env,
                log=tmp_path / "worker1.log",
                ready=r" ready\.",
            ) as worker:
                wait_for(lambda: _workers(client) == (200, "ok"), 20, "first heartbeat")
                body = client.get("/healthz/").json()
                assert body["workers"]["celery"]["worker"].startswith(f"first-{name}@")

                worker.kill()  # SIGKILL: no goodbye, only silence

                wait_for(lambda: _workers(client)[0] == 503, 3 * STALE_SECONDS, "stale seen")
                assert _workers(client)[1].startswith("stale: celery")
                # The web processes themselves are fine: the load balancer's probe says so.
                assert client.get("/healthz/?scope=web").status_code == 200

            with celery_process(
                [*worker_args, "--hostname", f"second-{name}@%h"],
                env=env,
                log=tmp_path / "worker2.log",
                ready=r" ready\.",
            ):
                wait_for(lambda: _workers(client) == (200, "ok"), 20, "healthy again")
                body = client.get("/healthz/").json()
                assert body["workers"]["celery"]["worker"].startswith(f"second-{name}@")
