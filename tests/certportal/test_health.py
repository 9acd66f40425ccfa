import datetime as dt

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from certportal import health
from certportal.tasks import task_worker_heartbeat
from tests.conftest import require_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_heartbeats():
    keys = [health.HEARTBEAT_KEY.format(queue=q) for q in django_settings.WORKER_HEARTBEAT_QUEUES]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.fixture
def workers_alive(no_heartbeats):
    """What a running worker leaves behind: a fresh heartbeat from every queue."""
    for queue in django_settings.WORKER_HEARTBEAT_QUEUES:
        health.heartbeat_record(queue=queue, worker="celery@test")


@pytest.fixture
def redis_configured(settings, no_heartbeats):
    """REDIS_URL set and answering (the tests' own, or a local default), as in production
    with workers; the heartbeats live in the cache whichever backend it is."""
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        up, why = True, ""
    except redis.RedisError as exc:
        up, why = False, f"{url}: {exc}"
    require_service("Redis", up, why)
    settings.REDIS_URL = url
    return url


def test_healthz_is_public_and_ok(client, workers_alive):
    response = client.get("/healthz/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"


def test_healthz_reports_503_when_database_unreachable(client, monkeypatch):
    def refuse():
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    response = client.get("/healthz/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "error: OperationalError"


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_reports_503_when_redis_unreachable(client):
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


def test_healthz_redis_not_configured_is_healthy(client, settings, no_heartbeats):
    # No broker: tasks run in-process after commit, there is no worker to miss.
    settings.REDIS_URL = ""
    response = client.get("/healthz/")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["redis"] == "not configured"
    assert checks["workers"] == "not configured"


def test_healthz_sends_no_cache_headers(client):
    response = client.get("/healthz/")
    assert "no-cache" in response["Cache-Control"]


# --- Workers (issue 20: a dead worker must show) ----------------------------------------


@pytest.mark.services
def test_healthz_reports_fresh_worker_heartbeat(client, redis_configured, workers_alive):
    response = client.get("/healthz/")

    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["workers"] == "ok"
    assert body["workers"]["celery"]["worker"] == "celery@test"
    assert body["workers"]["celery"]["last_heartbeat_seconds_ago"] < 5


@pytest.mark.services
def test_healthz_is_503_when_the_last_heartbeat_is_stale(
    client, settings, redis_configured, workers_alive, time_machine
):
    settings.WORKER_HEARTBEAT_STALE_SECONDS = 120
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=100), tick=False)
    assert client.get("/healthz/").status_code == 200  # late, not yet stale

    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30), tick=False)
    response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["workers"].startswith("stale: celery")
    assert body["workers"]["celery"]["last_heartbeat_seconds_ago"] > 120


@pytest.mark.services
def test_healthz_is_503_when_no_worker_ever_reported(client, redis_configured):
    response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["workers"].startswith("stale: celery")
    assert body["workers"]["celery"] == {"last_heartbeat_seconds_ago": None}


@pytest.mark.services
def test_healthz_scope_web_leaves_the_workers_out(client, redis_configured):
    # For the load balancer: a dead worker must not take the web processes out of rotation.
    response = client.get("/healthz/?scope=web")

    assert response.status_code == 200
    body = response.json()
    assert "workers" not in body["checks"]
    assert body["checks"]["redis"] == "ok"


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_workers_unknown_while_redis_unreachable(client, no_heartbeats):
    # No cache read that would wait out a timeout: Redis already answered "down".
    response = client.get("/healthz/")

    assert response.status_code == 503
    assert response.json()["checks"]["workers"] == "unknown: Redis unreachable"


def test_heartbeat_task_records_its_queue_and_worker(no_heartbeats):
    task_worker_heartbeat.apply(kwargs={"queue": "celery"})

    beat = cache.get(health.HEARTBEAT_KEY.format(queue="celery"))
    assert beat is not None
    assert abs(beat["at"] - dt.datetime.now(dt.UTC).timestamp()) < 5


def test_beat_sends_a_heartbeat_to_every_queue_well_within_the_stale_limit(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    for queue in settings.WORKER_HEARTBEAT_QUEUES:
        entry = schedule[f"worker-heartbeat-{queue}"]
        assert entry["task"] == task_worker_heartbeat.name
        assert entry["options"]["queue"] == queue
        # Missing a beat or two (a slow worker, a restart) must not read as "dead".
        assert entry["schedule"] * 3 <= settings.WORKER_HEARTBEAT_STALE_SECONDS
