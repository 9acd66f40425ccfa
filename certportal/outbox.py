"""The notification outbox: what events write.

`notify()` writes one Notification row per recipient inside the caller's transaction and
enqueues delivery after commit, one task per BATCH_SIZE rows of a transaction. If the
broker is down the rows stay pending and the periodic sweep (`certportal.delivery.sweep`)
sends them. The in-app side (unread count, mark read, e-mail preference) is here too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from certportal import pagecache
from certportal.delivery import BATCH_SIZE
from certportal.models import Notification, UserProfile
from certportal.tasks import task_deliver_notifications

logger = logging.getLogger(__name__)


def _render(event: str, suffix: str, context: dict[str, Any]) -> str:
    try:
        return render_to_string(f"email/{event}.{suffix}", context)
    except TemplateDoesNotExist:
        return render_to_string(f"email/generic.{suffix}", context)


def notify(
    *,
    recipients: Iterable[Any],
    event: str,
    subject: str,
    context: dict[str, Any] | None = None,
    link: str = "",
    critical: bool = True,
    dedupe_key: str = "",
) -> list[Notification]:
    """Queue a notification for each distinct active recipient.

    `dedupe_key` makes a reminder idempotent per recipient (e.g. "sla-overdue:42")."""
    seen: set[int] = set()
    created: list[Notification] = []
    url = f"{settings.SITE_URL}{link}" if link.startswith("/") else link
    for user in recipients:
        if user is None or not user.is_active or user.pk in seen:
            continue
        seen.add(user.pk)
        ctx = {
            **(context or {}),
            "recipient": user,
            "subject": subject,
            "url": url,
            "site_name": settings.SITE_NAME,
        }
        row = Notification(
            recipient=user,
            event=event,
            critical=critical,
            subject=subject[:200],
            body_text=_render(event, "txt", ctx),
            body_html=_render(event, "html", ctx),
            link=link,
            dedupe_key=dedupe_key,
        )
        if dedupe_key:
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                continue  # this reminder was already queued for this person
        else:
            row.save()
        created.append(row)
    if created:
        _enqueue_on_commit([n.pk for n in created])
    return created


class _Batch:
    """Ids of the outbox rows one transaction wrote, published together after commit."""

    __slots__ = ("hook", "ids")

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.hook: Callable[[], None] | None = None

    def flush(self) -> None:
        ids, self.ids = self.ids, []
        if ids:
            _enqueue(ids)


_local = threading.local()


def _hook_queued(connection: Any, hook: Callable[[], None] | None) -> bool:
    # Django keeps (savepoint ids, func, robust) per hook; the list is replaced on commit
    # and rollback, and filtered when a savepoint rolls back.
    pending = getattr(connection, "run_on_commit", ())
    return hook is not None and any(entry[1] is hook for entry in reversed(pending))


def _enqueue_on_commit(ids: list[int]) -> None:
    """Publish `ids` after commit, in the same tasks as the other rows of the transaction.

    A service (and the benchmark) calls notify() once per event, several times in one
    transaction; one task per call meant one broker round trip per row. Each call still
    registers its own on_commit hook, so a rolled-back savepoint drops its hook along with
    its rows, but the hooks of one transaction share a batch and the first to run publishes
    all of it; the others find it empty. A batch is joined only while its latest hook is
    still queued on this connection, so it never outlives its transaction. It may hold ids
    of rows a savepoint rolled back: delivery claims only rows that exist and are pending."""
    connection = transaction.get_connection()
    batch = getattr(_local, "batch", None)
    if batch is None or not connection.in_atomic_block or not _hook_queued(connection, batch.hook):
        batch = _local.batch = _Batch()
    batch.ids.extend(ids)

    def hook() -> None:
        batch.flush()

    batch.hook = hook
    transaction.on_commit(hook)


def _enqueue(ids: list[int]) -> None:
    """Publish one delivery task per BATCH_SIZE ids; a broker outage only delays delivery
    (the rows stay pending and the sweep sends them)."""
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        try:
            task_deliver_notifications.apply_async(kwargs={"notification_ids": chunk}, retry=False)
        except Exception as exc:  # kombu/redis errors vary; the sweep is the safety net
            logger.warning(
                "Could not enqueue %d notifications (%s); the sweep will send them",
                len(ids) - start,
                exc,
            )
            return


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user: Any, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    changed = qs.update(read_at=timezone.now())
    if changed:  # update() sends no signal: the unread badge in cached pages must change
        pagecache.bump(pagecache.user_scope(user))
    return changed


def preferences_save(*, user: Any, email_noncritical: bool) -> UserProfile:
    """Store whether non-critical notifications are also e-mailed (critical ones always are)."""
    profile, _ = UserProfile.objects.get_or_create(user=user)
    if profile.email_noncritical != email_noncritical:
        profile.email_noncritical = email_noncritical
        profile.save(update_fields=["email_noncritical"])
    return profile
