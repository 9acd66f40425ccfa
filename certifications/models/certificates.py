"""What certification produces: the seal of one certified version and the integration's
marketplace listing."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from certifications.models.catalog import Integration
from certifications.models.requests import CertificationRequest
from certifications.models.validators import TEXT_MAX_LENGTH


def _verification_code() -> str:
    # Never starting with "-" or "_": a code is pasted into URLs, e-mails and spreadsheets
    # (where a leading "-" reads as a formula and gets escaped by the CSV export).
    while True:
        code = secrets.token_urlsafe(16)
        if code[0].isalnum():
            return code


class Certificate(models.Model):
    """The seal for one certified version."""

    request = models.OneToOneField(
        CertificationRequest, on_delete=models.PROTECT, related_name="certificate"
    )
    version = models.CharField(max_length=40)
    commit_sha = models.CharField(max_length=40)
    issued_at = models.DateTimeField()
    valid_until = models.DateField()
    verification_code = models.CharField(max_length=32, unique=True, default=_verification_code)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    # Set once by the revoke transition (services.approvals.seal_revoked_effects): a
    # revoked seal says so on the verification page, its JSON and its badge, and leaves
    # the marketplace.
    revoked_at = models.DateTimeField(null=True, blank=True)
    # db_default: bulk loaders (seed_scale COPY) that leave the column out get "".
    revoked_reason = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True, db_default="")
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"Certificate {self.verification_code}"


class Listing(models.Model):
    """The integration's marketplace entry; points at the newest certified version."""

    integration = models.OneToOneField(
        Integration, on_delete=models.CASCADE, related_name="listing"
    )
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="listings")
    title = models.CharField(max_length=200)
    summary = models.TextField(max_length=TEXT_MAX_LENGTH)
    published_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.title
