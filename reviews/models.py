from __future__ import annotations

from django.conf import settings
from django.db import models

from certifications.models import TEXT_MAX_LENGTH
from reviews.enums import FindingCategory, FindingSeverity, FindingStage, FindingStatus


class Finding(models.Model):
    """An issue a reviewer found, citing a guideline; the partner replies and marks it
    addressed, the reviewer verifies it."""

    request = models.ForeignKey(
        "certifications.CertificationRequest", on_delete=models.CASCADE, related_name="findings"
    )
    stage = models.CharField(max_length=16, choices=FindingStage.choices)
    guideline = models.ForeignKey(
        "certifications.Guideline",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    category = models.CharField(max_length=20, choices=FindingCategory.choices)
    severity = models.CharField(max_length=12, choices=FindingSeverity.choices)
    status = models.CharField(
        max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    title = models.CharField(max_length=200)
    reviewer_note = models.TextField(max_length=TEXT_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stage", "created_at", "id"]
        indexes = [
            models.Index(fields=["request", "stage", "status"], name="finding_req_stage_status")
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.title}"


class FindingReply(models.Model):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=TEXT_MAX_LENGTH)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Reply to finding {self.finding_id}"


class GrantState(models.TextChoices):
    PENDING = "pending", "Pending"
    INVITED = "invited", "Invited (waiting for the reviewer to accept)"
    ACTIVE = "active", "Active"
    FAILED = "failed", "Failed"
    REVOKED = "revoked", "Revoked"


class GrantSource(models.TextChoices):
    CONFIGURED = "configured", "Vendor reviewer account"
    ASSIGNED = "assigned", "Assigned reviewer"


class RepoAccessGrant(models.Model):
    """Read access of one vendor GitHub login to an integration's repository.

    One row per (integration, login): access is to the repository, which all versions of
    the integration share. ``request`` is the request that last needed it. Only
    ``reviews.access`` writes these rows; partners and staff read them to see where
    access stands."""

    integration = models.ForeignKey(
        "certifications.Integration", on_delete=models.CASCADE, related_name="access_grants"
    )
    request = models.ForeignKey(
        "certifications.CertificationRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_grants",
    )
    github_login = models.CharField(max_length=39)
    source = models.CharField(
        max_length=16, choices=GrantSource.choices, default=GrantSource.CONFIGURED
    )
    permission = models.CharField(max_length=16, default="pull")
    state = models.CharField(max_length=16, choices=GrantState.choices, default=GrantState.PENDING)
    invitation_id = models.PositiveBigIntegerField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["integration_id", "github_login"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "github_login"], name="grant_unique_login_per_integration"
            )
        ]
        indexes = [models.Index(fields=["state", "last_checked_at"], name="grant_state_checked")]

    def __str__(self) -> str:
        return f"{self.github_login} → {self.integration_id} ({self.state})"
