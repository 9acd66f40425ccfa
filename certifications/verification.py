"""What a certificate's public verification says, in one place: the HTML page, its JSON,
the embeddable badge (and the partner API) read it from here. Two queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from certifications.models import Certificate, Integration
from certifications.selectors import certificate_by_code
from partners import selectors as partner_selectors
from partners.models import Partner

STATUS_LABELS = {
    "valid": "Valid",
    "revoked": "Revoked",
    "expired": "Expired",
    "superseded": "Superseded",
    "agreement_inactive": "Agreement not active",
}


@dataclass(frozen=True)
class Verification:
    certificate: Certificate
    partner: Partner
    integration: Integration
    agreement_active: bool
    today: dt.date

    @property
    def revoked(self) -> bool:
        return self.certificate.revoked_at is not None

    @property
    def expired(self) -> bool:
        return self.certificate.valid_until < self.today

    @property
    def superseded(self) -> bool:
        return self.certificate.superseded_by_id is not None

    @property
    def status(self) -> str:
        """The most serious of: revoked, expired, superseded, agreement inactive; else valid."""
        if self.revoked:
            return "revoked"
        if self.expired:
            return "expired"
        if self.superseded:
            return "superseded"
        if not self.agreement_active:
            return "agreement_inactive"
        return "valid"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def as_json(self, *, url: str) -> dict[str, Any]:
        c = self.certificate
        return {
            "verification_code": c.verification_code,
            "status": self.status,
            "status_label": self.status_label,
            "valid": self.status == "valid",
            "partner": self.partner.name,
            "integration": self.integration.name,
            "product_area": self.integration.get_product_area_display(),
            "version": c.version,
            "commit_sha": c.commit_sha,
            "issued_at": c.issued_at.isoformat(),
            "valid_until": c.valid_until.isoformat(),
            "superseded_by_version": c.superseded_by.version if c.superseded_by_id else None,
            "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
            "revoked_reason": c.revoked_reason or None,
            "agreement_active": self.agreement_active,
            "verification_url": url,
        }


def verification_for(code: str, *, today: dt.date | None = None) -> Verification | None:
    certificate = certificate_by_code(code)
    if certificate is None:
        return None
    integration = certificate.request.integration
    agreement = partner_selectors.agreement_in_force(partner=integration.partner_id)
    return Verification(
        certificate,
        integration.partner,
        integration,
        agreement is not None,
        today or timezone.localdate(),
    )
