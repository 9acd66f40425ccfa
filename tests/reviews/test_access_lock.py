"""The access-sync lock (reviews.access.lock) on both stores it runs on: Redis (workers in
production) and locmem (in-process tasks without ``REDIS_URL``). Short TTLs keep it quick;
the SIGKILL case with real workers is tests/workers/test_worker_killed.py."""

from __future__ import annotations

import time
import uuid

import pytest
import redis

from reviews.access import ExpiringLock, LockLost, expiring_lock
from tests.conftest import require_service

TTL = 0.6  # renewed every 0.2 s


@pytest.fixture(params=["locmem", "redis"])
def store(request, settings) -> str:
    """Point the default cache at one store; the lock picks its implementation from it."""
    if request.param == "locmem":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "access-lock-tests",
            }
        }
        return request.param
    url = settings.REDIS_URL
    available, why = bool(url), "set REDIS_URL=redis://... to run this test"
    if url:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        except redis.RedisError as exc:
            available, why = False, f"{url}: {exc}"
    require_service("Redis", available, why)
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    return request.param


@pytest.fixture
def key(store) -> str:
    return f"tests:access-lock:{uuid.uuid4().hex}"


def test_lock_is_exclusive_until_released(key):
    holder = ExpiringLock(key, ttl=TTL)
    assert holder.acquire()
    assert not ExpiringLock(key, ttl=TTL).acquire()

    holder.release()

    successor = ExpiringLock(key, ttl=TTL)
    assert successor.acquire()
    successor.release()


def test_heartbeat_keeps_a_live_holders_lock_past_its_ttl(key):
    with expiring_lock(key, ttl=TTL) as holder:
        assert holder is not None
        time.sleep(TTL * 3)  # a GitHub call slower than the TTL

        holder.ensure()
        assert not ExpiringLock(key, ttl=TTL).acquire()


def test_context_yields_none_while_another_holds_it(key):
    with expiring_lock(key, ttl=TTL) as first, expiring_lock(key, ttl=TTL) as second:
        assert first is not None
        assert second is None


def test_a_lapsed_holder_stops_and_leaves_its_successors_lock_alone(key):
    from django.core.cache import caches

    holder = ExpiringLock(key, ttl=TTL)
    assert holder.acquire()
    # As if the holder froze past its TTL (its key lapsed) and another sync took over.
    caches["default"].delete(key)
    successor = ExpiringLock(key, ttl=TTL)
    assert successor.acquire()
    time.sleep(TTL / 2)  # the holder's next renewal finds the successor's token

    with pytest.raises(LockLost):
        holder.ensure()
    holder.release()

    assert not ExpiringLock(key, ttl=TTL).acquire()  # still the successor's
    successor.ensure()
    successor.release()


def test_release_is_idempotent(key):
    holder = ExpiringLock(key, ttl=TTL)
    assert holder.acquire()
    holder.release()
    holder.release()  # twice: harmless

    successor = ExpiringLock(key, ttl=TTL)
    assert successor.acquire()
    successor.release()
