"""The notification outbox.

`notify()` writes one Notification row per recipient inside the caller's transaction and
enqueues delivery after commit, one task per BATCH_SIZE rows of a transaction. If the
broker is down the rows stay pending and the periodic sweep (`task_sweep_outbox`) sends
them; `deliver_many()` claims rows with row locks and sends each at most once, over one
e-mail connection per batch."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from certportal import pagecache
from certportal.models import Notification, NotificationState, UserProfile

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Ids per delivery task and per deliver_many() transaction. Its rows stay locked while
# their messages are sent, which is short at this size.
BATCH_SIZE = 50
# Stop sending a batch after this long (a slow mail server) and leave the rest pending.
SEND_BUDGET_SECONDS = 60.0
_FINAL_OK = (NotificationState.SENT, NotificationState.SKIPPED)


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
    from certportal.tasks import task_deliver_notifications

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


def _opted_out(user_ids: set[int]) -> set[int]:
    """Recipients among `user_ids` who turned off e-mail for non-critical notifications."""
    if not user_ids:
        return set()
    return set(
        UserProfile.objects.filter(user_id__in=user_ids, email_noncritical=False).values_list(
            "user_id", flat=True
        )
    )


def _message(row: Notification) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.recipient.email],
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    return message


def _record_failure(row: Notification, exc: Exception) -> None:
    row.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
    if row.attempts >= MAX_ATTEMPTS:
        row.state = NotificationState.FAILED
    logger.warning("Notification %s not sent: %s", row.pk, row.last_error)


def _close_quietly(backend: Any) -> None:
    try:
        backend.close()
    except Exception:  # a connection that just failed may fail to say goodbye as well
        logger.debug("Closing the e-mail connection failed", exc_info=True)


def _send(rows: list[Notification]) -> list[Notification]:
    """Send each row's message over one e-mail connection, recording the outcome on the row
    (not saved). Returns the rows attempted; rows left when the time budget runs out are
    untouched, still pending, for the sweep."""
    backend = get_connection()
    is_open = False
    deadline = time.monotonic() + SEND_BUDGET_SECONDS
    attempted: list[Notification] = []
    try:
        for index, row in enumerate(rows):
            if time.monotonic() > deadline:
                logger.warning(
                    "E-mail too slow: %d notifications left for the sweep", len(rows) - index
                )
                break
            attempted.append(row)
            row.attempts += 1
            try:
                if not is_open:
                    backend.open()
                    is_open = True
                backend.send_messages([_message(row)])
            except Exception as exc:  # SMTP and network errors: keep pending and retry later
                _record_failure(row, exc)
                if not is_open:
                    # The server cannot be reached: the rest would fail alike, each after
                    # its own connect timeout while the rows stay locked.
                    for other in rows[index + 1 :]:
                        other.attempts += 1
                        _record_failure(other, exc)
                        attempted.append(other)
                    break
                # The connection may be broken; the next message gets a fresh one.
                _close_quietly(backend)
                is_open = False
                continue
            row.state = NotificationState.SENT
            row.last_error = ""
    finally:
        if is_open:
            _close_quietly(backend)
    # One time for the batch, taken once every message has been handed over (so never
    # earlier than a message's real send time); it lets one UPDATE mark them all.
    sent_at = timezone.now()
    for row in attempted:
        if row.state == NotificationState.SENT:
            row.sent_at = sent_at
    return attempted


def _save_outcomes(changed: list[Notification]) -> None:
    """Write the rows' new state in a few statements. The sent and the skipped rows each
    share their new values, so each group is one UPDATE; bulk_update() builds a CASE per
    field and row in Python (about 1 ms a row, more than the rest of delivery together) and
    is kept for the rare failed attempts, whose error texts differ."""
    sent = [row for row in changed if row.state == NotificationState.SENT]
    skipped = [row.pk for row in changed if row.state == NotificationState.SKIPPED]
    retried = [row for row in changed if row.state not in _FINAL_OK]
    if sent:
        Notification.objects.filter(pk__in=[row.pk for row in sent]).update(
            state=NotificationState.SENT,
            sent_at=sent[0].sent_at,
            last_error="",
            attempts=F("attempts") + 1,  # the rows are locked: equals row.attempts
        )
    if skipped:
        Notification.objects.filter(pk__in=skipped).update(state=NotificationState.SKIPPED)
    if retried:
        Notification.objects.bulk_update(retried, ["state", "attempts", "last_error"])


def deliver_many(notification_ids: Iterable[int]) -> dict[str, int]:
    """Send the pending notifications among `notification_ids` by e-mail, each at most once.

    One transaction claims the rows with SELECT ... FOR UPDATE SKIP LOCKED, so concurrent
    workers (a task, a redelivered task, the sweep) split the rows instead of sending one
    twice; rows another worker holds or already handled are left alone. Recipients without
    an address, and non-critical notifications to people who turned them off, become
    SKIPPED. The messages go over one e-mail connection; a failed message keeps its row
    pending with `last_error` and one more attempt (FAILED at MAX_ATTEMPTS), the others are
    still sent. The outcomes are written with one UPDATE per outcome, not per row. The rows
    stay locked while the messages are sent: callers pass at most BATCH_SIZE ids, and a
    SEND_BUDGET_SECONDS budget leaves the rest to the sweep.

    Returns how many claimed rows ended in each state (e.g. {"sent": 49, "pending": 1});
    rows not claimed are not counted."""
    ids = sorted(set(notification_ids))
    if not ids:
        return {}
    counts: Counter[str] = Counter()
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk__in=ids, state=NotificationState.PENDING)
            .order_by("pk")
        )
        if not rows:
            return {}
        opted_out = _opted_out({row.recipient_id for row in rows if not row.critical})
        to_send: list[Notification] = []
        changed: list[Notification] = []
        for row in rows:
            if not row.recipient.email or (not row.critical and row.recipient_id in opted_out):
                row.state = NotificationState.SKIPPED
                changed.append(row)
            else:
                to_send.append(row)
        changed += _send(to_send)
        _save_outcomes(changed)
    counts.update(row.state for row in rows)
    return dict(counts)


def deliver(notification_id: int) -> str:
    """Send one notification by e-mail exactly once. Returns the resulting state, or
    "skipped" when the row is not pending or another worker holds it."""
    counts = deliver_many([notification_id])
    return next(iter(counts), "skipped")


def sweep(limit: int = 200) -> int:
    """Deliver pending notifications older than a few seconds (their task may be lost),
    BATCH_SIZE rows per transaction. Returns how many were sent."""
    cutoff = timezone.now() - timezone.timedelta(seconds=10)
    ids = list(
        Notification.objects.filter(state=NotificationState.PENDING, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for start in range(0, len(ids), BATCH_SIZE):
        counts = deliver_many(ids[start : start + BATCH_SIZE])
        sent += counts.get(NotificationState.SENT, 0)
    return sent


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
