from __future__ import annotations

from django.conf import settings
from django.db import models

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
    reviewer_note = models.TextField()
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
    body = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Reply to finding {self.finding_id}"
