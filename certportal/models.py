"""Shared records: the audit trail of program events and the notification outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One immutable row per state change or sensitive action outside certification
    requests (agreements, business reviews, quota grants, marketing activities)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.PositiveBigIntegerField()
    partner_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("Audit events are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are immutable.")


class NotificationState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not e-mailed (turned off)"
    DIGEST = "digest", "Waiting for the daily summary"


class EmailDigest(models.TextChoices):
    """How a person's e-mails are delivered (certportal.digest)."""

    IMMEDIATELY = "immediately", "Immediately, one e-mail per notification"
    DAILY = "daily", "Once a day, in one summary e-mail"


class Notification(models.Model):
    """The transactional outbox: written in the same transaction as the event, delivered
    after commit and by a periodic sweep, so a broker or mail outage delays but never loses
    a notification. Also the in-app notification list."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # Set instead of `recipient` for someone without an account (a program applicant):
    # e-mail only, never listed in the portal (issue 14).
    # db_default: bulk loaders (seed_scale COPY) that leave the column out get "".
    to_email = models.EmailField(max_length=254, blank=True, db_default="")
    event = models.CharField(max_length=64)
    critical = models.BooleanField(default=True)
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=16, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="notif_state_created"),
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notif_unique_dedupe_per_recipient",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_id}"


class UserProfile(models.Model):
    """Per-user preferences and, for staff, the GitHub login used for repository access."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    github_login = models.CharField(
        max_length=39, blank=True, help_text="GitHub username (reviewers get repository access)."
    )
    email_noncritical = models.BooleanField(
        default=True, help_text="Also e-mail non-critical notifications."
    )
    current_partner_id = models.PositiveBigIntegerField(null=True, blank=True)
    email_digest = models.CharField(
        max_length=12, choices=EmailDigest.choices, default=EmailDigest.IMMEDIATELY
    )

    def __str__(self) -> str:
        return f"Profile of {self.user_id}"


# Outgoing webhooks (their own module; importing them here registers the models).
from certportal.webhook_models import (  # noqa: E402, F401
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
