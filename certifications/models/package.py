"""The submission package of a request: its documents and its test-environment access,
and the audit rows of every time a test password was shown in clear."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from certifications.enums import DocumentType, EnvironmentKind
from certifications.models.requests import CertificationRequest
from certifications.models.validators import NOTE_MAX_LENGTH
from certportal.crypto import EncryptedTextField


def document_upload_to(instance: Document, filename: str) -> str:
    # The stored name is a UUID; the partner's file name is metadata only.
    return f"documents/{instance.request_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    request = models.ForeignKey(
        CertificationRequest, on_delete=models.CASCADE, related_name="documents"
    )
    doc_type = models.CharField("Document type", max_length=32, choices=DocumentType.choices)
    version = models.PositiveSmallIntegerField(default=1)
    file = models.FileField(upload_to=document_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    carried_over = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["doc_type", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "doc_type", "version"], name="document_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()} v{self.version}: {self.original_name}"


class TestEnvironment(models.Model):
    __test__ = False  # not a pytest test class

    request = models.ForeignKey(
        CertificationRequest, on_delete=models.CASCADE, related_name="environments"
    )
    kind = models.CharField(max_length=16, choices=EnvironmentKind.choices)
    url = models.URLField("URL")
    username = models.CharField(max_length=200)
    password = EncryptedTextField()
    notes = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.url})"


class CredentialReveal(models.Model):
    """Every time a test-account password is shown in clear: who, what, when, from where."""

    environment = models.ForeignKey(
        TestEnvironment, on_delete=models.CASCADE, related_name="reveals"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user_id} revealed {self.environment_id} at {self.at}"
