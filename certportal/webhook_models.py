"""Outgoing webhooks: the endpoints organisations register and the delivery outbox.

A WebhookDelivery row is written in the same transaction as the event it reports, so an
event that commits is delivered (after commit by a task, or by the periodic sweep when the
broker was down) and one that rolls back never is. The ground knows no app: an endpoint
names its organisation by a plain id, as AuditEvent does."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from certportal.crypto import EncryptedTextField


class WebhookEvent(models.TextChoices):
    REQUEST_STATE_CHANGED = "request.state_changed", "Certification request changed state"
    FINDING_ADDED = "finding.added", "Finding added"
    FINDING_UPDATED = "finding.updated", "Finding updated (status or a reply)"
    CERTIFICATE_ISSUED = "certificate.issued", "Certificate issued"
    CERTIFICATE_SUPERSEDED = "certificate.superseded", "Certificate superseded by a newer version"
    CERTIFICATE_REVOKED = "certificate.revoked", "Certificate revoked"
    AGREEMENT_CHANGED = "agreement.changed", "Agreement changed"


class WebhookEndpoint(models.Model):
    partner_id = models.PositiveBigIntegerField(db_index=True)
    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Encrypted, not hashed: every delivery is signed with it.
    secret = EncryptedTextField()
    events = models.JSONField(default=list, help_text="Event types this endpoint receives.")
    active = models.BooleanField(default=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    # Failed attempts in a row, across deliveries; a success resets it.
    failure_streak = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "partner webhook endpoint"

    def __str__(self) -> str:
        return self.url

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row and its outcome."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The event's id: the same for a redelivery, so receivers can drop duplicates.
    event_id = models.UUIDField(default=uuid.uuid4)
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    state = models.CharField(
        max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "partner webhook delivery"
        verbose_name_plural = "partner webhook deliveries"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_endpoint_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.state})"


class WebhookAttempt(models.Model):
    """The log of one HTTP attempt: status, latency and the start of the response."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField(auto_now_add=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "partner webhook attempt"

    def __str__(self) -> str:
        return f"attempt of {self.delivery_id}: {self.status or self.error}"
