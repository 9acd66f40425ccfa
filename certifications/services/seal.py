"""Revoking a seal: the certificate says "revoked" on its verification page, JSON and
badge from the moment of commit, and its listing leaves the marketplace (the marketplace
query excludes revoked certificates, so nothing else needs to change)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from certifications import webhook_events
from certifications.models import Certificate
from certifications.services.common import CertificationError
from certportal import roles
from certportal.audit import audit
from certportal.links import link
from certportal.outbox import notify
from partners import selectors as partner_selectors


def certificate_revoke(*, certificate: Certificate, actor: Any, reason: str) -> Certificate:
    """Revoke a certificate (partner managers only; the reason is required and shown on
    the verification page). Revoking twice is refused so the first reason and time stand.

    Side effects: the certificate row (locked) gets revoked_at/by/reason, an audit row,
    and a notification to the partner's admins and the partner managers after commit."""
    if not roles.is_partner_manager(actor):
        raise CertificationError("Only partner managers revoke certificates.", code="not_allowed")
    if not reason.strip():
        raise CertificationError("Give the reason for revoking the certificate.")
    with transaction.atomic():
        locked = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("request__integration")
            .get(pk=certificate.pk)
        )
        if locked.revoked_at is not None:
            raise CertificationError(
                f"This certificate was already revoked on {locked.revoked_at:%d %b %Y}.",
                code="conflict",
            )
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.revoked_reason = reason.strip()
        locked.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
        integration = locked.request.integration
        webhook_events.certificate_revoked(locked, reason=locked.revoked_reason)
        audit(
            actor=actor,
            action="certificate.revoke",
            obj=locked,
            partner_id=integration.partner_id,
            comment=locked.revoked_reason,
        )
        notify(
            recipients=[
                *partner_selectors.partner_admins(integration.partner_id),
                *partner_selectors.partner_managers(),
            ],
            event="certificate_revoked",
            subject=f"The certificate of {integration} {locked.version} was revoked",
            context={"message": locked.revoked_reason},
            link=link("portal:verify", locked.verification_code),
        )
    return locked
