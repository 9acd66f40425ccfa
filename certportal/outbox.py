"""The notification outbox: what events write.

`notify()` writes one Notification row per recipient inside the caller's transaction and
enqueues delivery after commit, one task per BATCH_SIZE rows of a transaction. If the
broker is down the rows stay pending and the periodic sweep (`certportal.delivery.sweep`)
sends them. Publishing happens on a background thread, so a request never waits on the
broker. The in-app side (unread count, mark read, e-mail preference) is here too.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from certportal import pagecache, sqlread
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
    actor: Any = None,
) -> list[Notification]:
    """Queue a notification for each distinct active recipient.

    `dedupe_key` makes a reminder idempotent per recipient (e.g. "sla-overdue:42").
    `actor` is the person whose action this is: nobody is notified of their own action."""
    seen: set[int] = {actor.pk} if getattr(actor, "pk", None) else set()
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


def notify_address(
    *,
    email: str,
    event: str,
    subject: str,
    context: dict[str, Any] | None = None,
    link: str = "",
) -> Notification:
    """Queue an e-mail to a person without an account (a program applicant), through the
    same outbox and delivery as `notify`, so it is sent after commit and never lost."""
    url = f"{settings.SITE_URL}{link}" if link.startswith("/") else link
    ctx = {**(context or {}), "subject": subject, "url": url, "site_name": settings.SITE_NAME}
    row = Notification.objects.create(
        recipient=None,
        to_email=email,
        event=event,
        critical=True,
        subject=subject[:200],
        body_text=_render(event, "txt", ctx),
        body_html=_render(event, "html", ctx),
        link=link,
    )
    _enqueue_on_commit([row.pk])
    return row


class _Batch:
    """Ids of the outbox rows one transaction wrote, published together after commit."""

    __slots__ = ("hook", "ids")

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.hook: Callable[[], None] | None = None

    def flush(self) -> None:
        ids, self.ids = self.ids, []
        if ids:
            _publish_after_commit(ids)


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


def _enqueue(ids: list[int]) -> bool:
    """Publish one delivery task per BATCH_SIZE ids, here and now. Returns False when the
    broker refused: the rows not published stay pending and the sweep sends them."""
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
            return False
    return True


def _publish_after_commit(ids: list[int]) -> None:
    """Hand a committed transaction's ids to the publisher; run in-process tasks (no
    broker: `task_always_eager`) right here, as their callers expect."""
    if task_deliver_notifications.app.conf.task_always_eager:
        _enqueue(ids)
    else:
        _publisher.submit(ids)


class _Publisher:
    """Publishes the delivery tasks from one background thread per process.

    The outbox row is already the durable record; the task only makes delivery prompt. So
    a user's request must not wait on the broker (issue 20: with Redis down every
    notifying POST took ~2 s, kombu's connection retry, before the sweep took over). The
    request hands its ids over and returns; this thread publishes them. After a publish to
    a broker fails, publishing to that broker is skipped for BREAKER_SECONDS (a circuit
    breaker): the rows go straight to the sweep instead of queueing one connect timeout
    after another behind the dead broker, and the next attempt after the pause finds out
    whether it is back."""

    BREAKER_SECONDS = 10.0
    # Submitted but not yet published; past this many (a broker that hangs instead of
    # refusing) new ids go to the sweep rather than into memory.
    MAX_QUEUED = 1000

    def __init__(self) -> None:
        self._init_state()
        # A forked child (gunicorn --preload, a prefork pool process) inherits the
        # executor object but not its thread, and maybe a lock held mid-operation.
        os.register_at_fork(after_in_child=self._init_state)

    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._queued: set[Future[None]] = set()
        self._open_until: dict[str, float] = {}  # broker URL -> time.monotonic()

    @staticmethod
    def _broker() -> str:
        return str(task_deliver_notifications.app.conf.broker_url)

    def is_open(self, broker: str) -> bool:
        """True while publishing to `broker` is paused after a failure."""
        return time.monotonic() < self._open_until.get(broker, 0.0)

    def submit(self, ids: list[int]) -> None:
        broker = self._broker()
        if self.is_open(broker):
            logger.info(
                "Broker unreachable a moment ago: %d notifications left for the sweep", len(ids)
            )
            return
        with self._lock:
            if len(self._queued) >= self.MAX_QUEUED:
                logger.warning(
                    "Publisher backlog full: %d notifications left for the sweep", len(ids)
                )
                return
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="outbox-publish")
            future = self._executor.submit(self._publish, broker, ids)
            self._queued.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._queued.discard(future)

    def _publish(self, broker: str, ids: list[int]) -> None:
        conf = task_deliver_notifications.app.conf
        if self.is_open(broker) or conf.task_always_eager or self._broker() != broker:
            # The breaker opened while these waited, or the app now publishes elsewhere
            # (tests switch brokers): the sweep sends them, never a broker they did not mean.
            return
        if not _enqueue(ids):
            self._open_until[broker] = time.monotonic() + self.BREAKER_SECONDS

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far was published or given up (tests, and a
        process that wants its queue empty before exiting). True if it finished in time."""
        with self._lock:
            queued = set(self._queued)
        return not wait_futures(queued, timeout=timeout).not_done


_publisher = _Publisher()


def publisher_drain(timeout: float = 10.0) -> bool:
    """See `_Publisher.drain`."""
    return _publisher.drain(timeout)


def unread_count(user: Any) -> int:
    """The header's unread badge on every page: one indexed COUNT, written by hand
    (certportal.sqlread: the queryset cost more to build than the count to run)."""
    row = sqlread.fetch_one(
        'SELECT COUNT(*) FROM "certportal_notification" '
        'WHERE "recipient_id" = %s AND "read_at" IS NULL',
        [user.pk],
    )
    return row[0]


def mark_read(*, user: Any, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    changed = qs.update(read_at=timezone.now())
    if changed:  # update() sends no signal: the unread badge in cached pages must change
        pagecache.bump(pagecache.user_scope(user))
    return changed


def preferences_save(
    *, user: Any, email_noncritical: bool, email_digest: str | None = None
) -> UserProfile:
    """Store whether non-critical notifications are also e-mailed (critical ones always are)
    and whether e-mails come one by one or in a daily summary (certportal.digest)."""
    profile, _ = UserProfile.objects.get_or_create(user=user)
    if profile.email_noncritical != email_noncritical:
        profile.email_noncritical = email_noncritical
        profile.save(update_fields=["email_noncritical"])
    if email_digest is not None and profile.email_digest != email_digest:
        profile.email_digest = email_digest
        profile.save(update_fields=["email_digest"])
    return profile
