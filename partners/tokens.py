"""API tokens: an organisation's tokens (created by a partner admin for its CI) and vendor
staff's own tokens (reviewers' scripts). Only a SHA-256 digest of the token is stored; the
plain value is shown once, when it is created."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


class ApiToken(models.Model):
    """One bearer token. It acts as the person who created it, limited to its organisation
    (none for a staff token) and its scope, and stops working when revoked, expired, or when
    that person is no longer an admin of the organisation (or no longer staff)."""

    name = models.CharField(max_length=100)
    # Null for a staff token; certifications and reviews read tokens only through the API.
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    scope = models.CharField(max_length=8, choices=ApiScope.choices, default=ApiScope.READ)
    # The first characters of the token, to recognise it in lists and logs (not a secret).
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "revoked_at"], name="apitoken_partner_live")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_staff_token(self) -> bool:
        return self.partner_id is None

    @property
    def can_write(self) -> bool:
        return self.scope == ApiScope.WRITE

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
