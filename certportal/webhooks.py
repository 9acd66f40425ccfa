"""Outgoing webhooks: what events write (`emit`) and how deliveries are sent (`deliver_many`,
`sweep`), signed with the endpoint's secret.

Signing (documented for receivers in docs/api.md): each POST carries
`Webhook-Id` (the event id, the same on a redelivery), `Webhook-Event`, `Webhook-Timestamp`
(Unix seconds) and `Webhook-Signature: v1=<hex>`, the HMAC-SHA256 with the endpoint's secret
of `"<timestamp>.<raw body>"`. A receiver recomputes it, compares in constant time, and
refuses timestamps older than a few minutes (replays).

Delivery: the row is written in the event's transaction; after commit a task is published
(from a background thread, so a request never waits on a dead broker) and the periodic
sweep sends whatever is due and was not sent, so a broker outage delays a delivery but
never loses it. A failed attempt (network error or non-2xx) is retried with exponential
backoff (BACKOFF_BASE_SECONDS doubling, capped at BACKOFF_CAP_SECONDS) up to MAX_ATTEMPTS;
after PAUSE_AFTER failed attempts in a row the endpoint is paused and the organisation's
admins are told. A paused endpoint keeps its pending deliveries until it is resumed.

The ground knows no app: the organisation's admins are found through a resolver the
partners app registers in its AppConfig.ready (`register_admins_resolver`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import requests
from celery import current_app
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from certportal.outbox import notify
from certportal.webhook_models import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 60 * 60
PAUSE_AFTER = 10
TIMEOUT_SECONDS = (5, 10)  # connect, read
EXCERPT_CHARS = 500
BATCH_SIZE = 20
TASK_DELIVER = "certportal.webhooks.deliver"
USER_AGENT = "certportal-webhooks/1"

_admins_resolver: Callable[[int], list[Any]] = lambda partner_id: []  # noqa: E731


def register_admins_resolver(resolver: Callable[[int], list[Any]]) -> None:
    """Who is told when an organisation's endpoint is paused (set by the partners app)."""
    global _admins_resolver
    _admins_resolver = resolver


# --- Secrets, signatures and URLs ------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `Webhook-Signature` value of a body sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300):
    """What a receiver does (used by the tests and shown in the docs): True if the signature
    matches and the timestamp is within `tolerance` seconds of now."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(time.time() - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


def loopback_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", settings.DEBUG))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _addresses(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        return []
    return sorted({info[4][0] for info in infos})


def url_problem(url: str) -> str:
    """Why `url` may not receive webhooks ("" if it may): https only, and a host whose every
    address is public (no private, loopback, link-local or reserved range), so an endpoint
    cannot make the portal call into its own network. DEBUG and the tests also allow
    http://localhost / loopback, for local receivers."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "Enter a valid URL."
    if parts.username or parts.password:
        return "The URL must not contain a user name or password."
    loopback = loopback_allowed()
    if parts.scheme != "https" and not (loopback and parts.scheme == "http"):
        return "The URL must start with https://."
    if not host:
        return "Enter a valid URL."
    addresses = _addresses(host)
    if not addresses:
        return f"The host {host} cannot be resolved."
    for address in addresses:
        if _public(address):
            continue
        if loopback and ipaddress.ip_address(address).is_loopback:
            continue
        return f"The host {host} resolves to a private or reserved address ({address})."
    return ""


# --- Writing events ------------------------------------------------------------------------


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def emit(*, partner_id: int | None, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue `event` for each of the organisation's endpoints subscribed to it, inside the
    caller's transaction (one query when nobody subscribed)."""
    if partner_id is None:
        return []
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(partner_id=partner_id, active=True).only(
            "pk", "events"
        )
        if event in (e.events or [])
    ]
    if not endpoints:
        return []
    now = timezone.now()
    rows = []
    for endpoint in endpoints:
        row = WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=now, payload={})
        row.payload = {
            "id": str(row.event_id),
            "type": event,
            "created_at": now.isoformat(),
            "data": _jsonable(data),
        }
        rows.append(row)
    WebhookDelivery.objects.bulk_create(rows)
    ids = [r.pk for r in rows]
    transaction.on_commit(lambda: publish(ids))
    return rows


_executor: ThreadPoolExecutor | None = None


def publish(ids: list[int], *, countdown: float | None = None) -> None:
    """Hand committed deliveries to a worker. No broker (`task_always_eager`): send them
    here and now. Otherwise publish from a background thread; if the broker refuses, the
    rows stay pending and the sweep sends them."""
    global _executor
    if current_app.conf.task_always_eager:
        if countdown is None:
            deliver_many(ids)
        return
    if _executor is None:
        _executor = ThreadPoolExecutor(1, thread_name_prefix="webhook-publish")
    _executor.submit(_send_task, ids, countdown)


def _send_task(ids: list[int], countdown: float | None) -> None:
    try:
        current_app.send_task(
            TASK_DELIVER, kwargs={"delivery_ids": ids}, countdown=countdown, retry=False
        )
    except Exception as exc:  # kombu/redis errors vary; the sweep is the safety net
        logger.warning(
            "Could not enqueue %d webhook deliveries (%s); the sweep will", len(ids), exc
        )


def publisher_drain(timeout: float = 10.0) -> None:
    """Wait for the publisher thread (tests)."""
    if _executor is not None:
        _executor.submit(lambda: None).result(timeout=timeout)


def redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send an event again as a new delivery with the same event id (receivers dedupe)."""
    row = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event_id=delivery.event_id,
        event=delivery.event,
        payload=delivery.payload,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: publish([row.pk]))
    return row


def resume(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Unpause an endpoint; its pending deliveries go out now."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        paused_at=None, paused_reason="", failure_streak=0
    )
    pending = list(
        endpoint.deliveries.filter(state=DeliveryState.PENDING).values_list("pk", flat=True)
    )
    endpoint.deliveries.filter(state=DeliveryState.PENDING).update(next_attempt_at=timezone.now())
    if pending:
        transaction.on_commit(lambda: publish(pending))
    endpoint.refresh_from_db()
    return endpoint


# --- Sending -------------------------------------------------------------------------------


def backoff(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    """One HTTP attempt: (status, response excerpt, error). The host is checked again at
    send time (its DNS may have changed since registration); redirects are not followed."""
    problem = url_problem(endpoint.url)
    if problem:
        return None, "", problem[:300]
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Webhook-Id": str(delivery.event_id),
        "Webhook-Event": delivery.event,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": sign(endpoint.secret.reveal(), timestamp, body),
    }
    try:
        response = requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        )
        excerpt = response.raw.read(EXCERPT_CHARS * 4, decode_content=True)
        response.close()
    except requests.RequestException as exc:
        return None, "", f"{exc.__class__.__name__}: {exc}"[:300]
    return response.status_code, excerpt.decode(errors="replace")[:EXCERPT_CHARS], ""


def _pause(endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.paused_at = timezone.now()
    endpoint.paused_reason = reason[:300]
    endpoint.save(update_fields=["paused_at", "paused_reason"])
    notify(
        recipients=_admins_resolver(endpoint.partner_id),
        event="webhook_paused",
        subject=f"Webhook endpoint paused: {endpoint.url}"[:200],
        context={"endpoint": endpoint, "message": reason},
        link="/portal/api/webhooks/",
        dedupe_key=f"webhook-paused:{endpoint.pk}:{endpoint.paused_at:%Y%m%d%H%M%S}",
    )


def _attempt(row: WebhookDelivery) -> list[int]:
    """Send one locked delivery and record the outcome; returns ids to retry later."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=row.endpoint_id)
    if endpoint.is_paused or not endpoint.active:
        return []
    started = time.monotonic()
    status, excerpt, error = _post(endpoint, row)
    latency = int((time.monotonic() - started) * 1000)
    WebhookAttempt.objects.create(
        delivery=row, status=status, latency_ms=latency, response_excerpt=excerpt, error=error
    )
    row.attempts += 1
    row.last_status = status
    now = timezone.now()
    if status is not None and 200 <= status < 300:
        row.state, row.delivered_at, row.last_error = DeliveryState.DELIVERED, now, ""
        row.save(update_fields=["state", "delivered_at", "last_error", "attempts", "last_status"])
        if endpoint.failure_streak:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_streak=0)
        return []
    row.last_error = error or f"HTTP {status}"
    retry = row.attempts < MAX_ATTEMPTS
    if retry:
        row.next_attempt_at = now + timezone.timedelta(seconds=backoff(row.attempts))
    else:
        row.state = DeliveryState.FAILED
    row.save(update_fields=["state", "last_error", "attempts", "last_status", "next_attempt_at"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_streak=F("failure_streak") + 1)
    endpoint.refresh_from_db(fields=["failure_streak"])
    if endpoint.failure_streak >= pause_after():
        _pause(
            endpoint, f"{endpoint.failure_streak} failed attempts in a row; last: {row.last_error}"
        )
        return []
    return [row.pk] if retry else []


def pause_after() -> int:
    return int(getattr(settings, "WEBHOOK_PAUSE_AFTER", PAUSE_AFTER))


def deliver_many(delivery_ids: Iterable[int]) -> dict[str, int]:
    """Attempt the due, pending deliveries among `delivery_ids`, each row locked (SKIP
    LOCKED: a task and the sweep never send one twice at once). Failed ones are scheduled
    again after their backoff. Returns how many ended in each state."""
    ids = sorted(set(delivery_ids))
    counts: dict[str, int] = {}
    retry: list[tuple[int, int]] = []
    for pk in ids:
        with transaction.atomic():
            row = (
                WebhookDelivery.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
                .first()
            )
            if row is None:
                continue
            again = _attempt(row)
            if again:
                retry.append((row.pk, backoff(row.attempts)))
        counts[row.state] = counts.get(row.state, 0) + 1
    for pk, delay in retry:
        publish([pk], countdown=delay)
    return counts


def sweep(limit: int = 200) -> dict[str, int]:
    """Attempt every pending delivery that is due (its task lost, the broker down at the
    event, or a retry whose task was lost), oldest first."""
    ids = list(
        WebhookDelivery.objects.filter(
            state=DeliveryState.PENDING,
            next_attempt_at__lte=timezone.now(),
            endpoint__paused_at__isnull=True,
            endpoint__active=True,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for start in range(0, len(ids), BATCH_SIZE):
        for state, n in deliver_many(ids[start : start + BATCH_SIZE]).items():
            counts[state] = counts.get(state, 0) + n
    return counts


EVENT_CHOICES = WebhookEvent.choices
