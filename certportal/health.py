"""Liveness and readiness: the database, Redis when configured, and the Celery workers.

Workers are seen through a heartbeat rather than asked (`celery inspect ping` waits for
replies, a second or more, on every probe): beat queues `certportal.workers.heartbeat` on
each queue every WORKER_HEARTBEAT_SECONDS, the worker that runs it stores the time in the
cache (`heartbeat_record`), and `/healthz/` reads those times back — one cache read. A
queue whose last heartbeat is older than WORKER_HEARTBEAT_STALE_SECONDS is "stale" (503):
its workers are dead or stuck behind a backlog that long, or beat is down (then the outbox
sweep and the reconcile stop too). Without REDIS_URL tasks run in-process: nothing to see.

`/healthz/?scope=web` leaves the workers out: for a load balancer deciding whether this
web process can serve pages (a dead worker must not take the site out of rotation), while
monitoring polls `/healthz/`.
"""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

HEARTBEAT_KEY = "certportal:worker-heartbeat:{queue}"


def heartbeat_record(*, queue: str, worker: str) -> None:
    """Store that `worker` just ran a heartbeat taken from `queue` (no expiry: an old
    value is the evidence that the heartbeats stopped)."""
    cache.set(
        HEARTBEAT_KEY.format(queue=queue),
        {"at": timezone.now().timestamp(), "worker": worker},
        timeout=None,
    )


def _check_database() -> str:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the message says which
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except redis.RedisError as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_workers(redis_state: str) -> tuple[str, dict[str, Any]]:
    """("ok" | "stale: <queues>" | ..., per-queue detail) from the heartbeats."""
    if not settings.REDIS_URL:
        return "not configured", {}
    if redis_state != "ok":
        return "unknown: Redis unreachable", {}
    queues = list(settings.WORKER_HEARTBEAT_QUEUES)
    try:
        found = cache.get_many([HEARTBEAT_KEY.format(queue=q) for q in queues])
    except Exception as exc:  # cache backends raise their own errors; name it
        return f"error: {exc.__class__.__name__}", {}
    now = timezone.now().timestamp()
    limit = settings.WORKER_HEARTBEAT_STALE_SECONDS
    stale: list[str] = []
    detail: dict[str, Any] = {}
    for queue in queues:
        beat = found.get(HEARTBEAT_KEY.format(queue=queue))
        if not isinstance(beat, dict) or "at" not in beat:
            stale.append(queue)
            detail[queue] = {"last_heartbeat_seconds_ago": None}
            continue
        age = max(0.0, now - float(beat["at"]))
        detail[queue] = {
            "last_heartbeat_seconds_ago": round(age, 1),
            "worker": beat.get("worker", ""),
        }
        if age > limit:
            stale.append(queue)
    if stale:
        return f"stale: {', '.join(stale)} (no heartbeat for over {limit} s)", detail
    return "ok", detail


@require_GET
@never_cache
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "redis": _check_redis()}
    body: dict[str, Any] = {}
    if request.GET.get("scope") != "web":
        checks["workers"], body["workers"] = _check_workers(checks["redis"])
    healthy = all(v in ("ok", "not configured") for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks, **body},
        status=200 if healthy else 503,
    )
