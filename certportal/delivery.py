"""Delivery of the outbox (what the Celery tasks call).

`deliver_many()` claims pending rows with row locks and sends each at most once, over one
e-mail connection per batch; `sweep()` sends rows whose task was lost.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from certportal import digest
from certportal.models import EmailDigest, Notification, NotificationState, UserProfile

logger = logging.getLogger(__name__)


MAX_ATTEMPTS = 8
# Ids per delivery task and per deliver_many() transaction. Its rows stay locked while
# their messages are sent, which is short at this size.
BATCH_SIZE = 50
# Stop sending a batch after this long (a slow mail server) and leave the rest pending.
SEND_BUDGET_SECONDS = 60.0
_FINAL_OK = (NotificationState.SENT, NotificationState.SKIPPED)


def _preferences(rows: list[Notification]) -> tuple[set[int], set[int]]:
    """In one query: the recipients of non-critical rows who turned off e-mail for them,
    and the recipients who chose the daily summary (certportal.digest)."""
    noncritical = {row.recipient_id for row in rows if not row.critical}
    opted_out: set[int] = set()
    daily: set[int] = set()
    profiles = UserProfile.objects.filter(
        Q(email_noncritical=False) | Q(email_digest=EmailDigest.DAILY),
        user_id__in={row.recipient_id for row in rows},
    ).values_list("user_id", "email_noncritical", "email_digest")
    for user_id, noncritical_on, choice in profiles:
        if not noncritical_on and user_id in noncritical:
            opted_out.add(user_id)
        if choice == EmailDigest.DAILY:
            daily.add(user_id)
    return opted_out, daily


def _address(row: Notification) -> str:
    """Where the row goes: its account's e-mail, or `to_email` for a person without one."""
    return row.to_email or (row.recipient.email if row.recipient_id else "")


def _message(row: Notification) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[_address(row)],
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
    retried = [row for row in changed if row.state not in (*_FINAL_OK, NotificationState.DIGEST)]
    digest.mark_waiting([row.pk for row in changed if row.state == NotificationState.DIGEST])
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
        opted_out, daily = _preferences(rows)
        to_send: list[Notification] = []
        changed: list[Notification] = []
        for row in rows:
            if not _address(row) or (not row.critical and row.recipient_id in opted_out):
                row.state = NotificationState.SKIPPED
                changed.append(row)
            elif row.recipient_id in daily:  # sent in the person's daily summary instead
                row.state = NotificationState.DIGEST
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
