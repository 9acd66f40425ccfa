"""The daily summary e-mail (issue 14): a person who chose "once a day" gets one e-mail a
day listing their notifications instead of one e-mail each.

Delivery (`certportal.delivery.deliver_many`) parks those people's rows as DIGEST instead
of sending them; the daily beat task (`certportal.notifications.send_daily_digest`) sends
each person one message with every parked row and marks them SENT. Rows stay in the
in-app list either way. A failed send leaves the rows parked for the next run."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from certportal.links import absolute_url, link
from certportal.models import Notification, NotificationState

logger = logging.getLogger(__name__)

# Rows one summary lists at most; older rows beyond it go in the next day's summary.
MAX_ROWS_PER_SUMMARY = 200


def mark_waiting(notification_ids: list[int]) -> None:
    """Park rows for the daily summary (called by delivery with the rows locked)."""
    if notification_ids:
        Notification.objects.filter(pk__in=notification_ids).update(state=NotificationState.DIGEST)


def _summary(user: Any, rows: list[Notification]) -> EmailMultiAlternatives:
    items = [{"subject": r.subject, "url": absolute_url(r.link), "at": r.created_at} for r in rows]
    context = {
        "recipient": user,
        "items": items,
        "site_name": settings.SITE_NAME,
        "url": absolute_url(link("notifications:list")),
    }
    count = len(rows)
    message = EmailMultiAlternatives(
        subject=f"Your daily summary: {count} notification{'s' if count != 1 else ''}",
        body=render_to_string("email/daily_digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(render_to_string("email/daily_digest.html", context), "text/html")
    return message


def digest_send_daily() -> int:
    """Send every person with parked rows their summary; returns how many e-mails were sent.
    Each person's rows are claimed under row locks (SKIP LOCKED), so two runs at once never
    send a row twice."""
    people = (
        Notification.objects.filter(state=NotificationState.DIGEST)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for user_id in list(people):
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .filter(recipient_id=user_id, state=NotificationState.DIGEST)
                .order_by("created_at", "pk")[:MAX_ROWS_PER_SUMMARY]
            )
            if not rows:
                continue
            user = rows[0].recipient
            ids = [r.pk for r in rows]
            if not user.email or not user.is_active:
                Notification.objects.filter(pk__in=ids).update(state=NotificationState.SKIPPED)
                continue
            try:
                get_connection().send_messages([_summary(user, rows)])
            except Exception as exc:  # SMTP and network errors: the rows wait for the next run
                logger.warning("Daily summary for user %s not sent: %s", user_id, exc)
                continue
            Notification.objects.filter(pk__in=ids).update(
                state=NotificationState.SENT, sent_at=timezone.now(), last_error=""
            )
            sent += 1
    return sent
