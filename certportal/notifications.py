"""The notification outbox.

`notify()` writes one Notification row per recipient inside the caller's transaction and
enqueues delivery after commit. If the broker is down the row stays pending and the
periodic sweep (`task_sweep_outbox`) sends it; `deliver()` claims a row with a row lock and
sends it at most once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from certportal.models import Notification, NotificationState, UserProfile

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


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
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: _enqueue(ids))
    return created


def _enqueue(ids: list[int]) -> None:
    """Publish delivery tasks; a broker outage only delays (the sweep picks them up)."""
    from certportal.tasks import task_deliver_notification

    for pk in ids:
        try:
            task_deliver_notification.apply_async(kwargs={"notification_id": pk}, retry=False)
        except Exception as exc:  # kombu/redis errors vary; the sweep is the safety net
            logger.warning(
                "Could not enqueue notification %s (%s); the sweep will send it", pk, exc
            )
            return


def _wants_email(notification: Notification) -> bool:
    if notification.critical:
        return True
    profile = UserProfile.objects.filter(user_id=notification.recipient_id).first()
    return profile is None or profile.email_noncritical


def deliver(notification_id: int) -> str:
    """Send one notification by e-mail exactly once. Returns the resulting state."""
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id, state=NotificationState.PENDING)
            .first()
        )
        if row is None:
            return "skipped"
        if not row.recipient.email or not _wants_email(row):
            row.state = NotificationState.SKIPPED
            row.save(update_fields=["state"])
            return row.state
        row.attempts += 1
        try:
            message = EmailMultiAlternatives(
                subject=row.subject,
                body=row.body_text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[row.recipient.email],
            )
            if row.body_html:
                message.attach_alternative(row.body_html, "text/html")
            message.send()
        except Exception as exc:  # SMTP and network errors: keep pending and retry later
            row.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = NotificationState.FAILED
            row.save(update_fields=["attempts", "last_error", "state"])
            logger.warning("Notification %s not sent: %s", row.pk, row.last_error)
            return row.state
        row.state = NotificationState.SENT
        row.sent_at = timezone.now()
        row.last_error = ""
        row.save(update_fields=["attempts", "state", "sent_at", "last_error"])
        return row.state


def sweep(limit: int = 200) -> int:
    """Deliver pending notifications older than a few seconds (their task may be lost)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=10)
    ids = list(
        Notification.objects.filter(state=NotificationState.PENDING, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in ids:
        if deliver(pk) == NotificationState.SENT:
            sent += 1
    return sent


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user: Any, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def preferences_save(*, user: Any, email_noncritical: bool) -> UserProfile:
    """Store whether non-critical notifications are also e-mailed (critical ones always are)."""
    profile, _ = UserProfile.objects.get_or_create(user=user)
    if profile.email_noncritical != email_noncritical:
        profile.email_noncritical = email_noncritical
        profile.save(update_fields=["email_noncritical"])
    return profile
