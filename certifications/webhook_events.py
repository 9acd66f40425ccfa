"""The certifications app's outgoing webhook events (certportal.webhooks): a request's
state changes and its certificates. Called by the transition services inside their
transaction, one line each."""

from __future__ import annotations

import datetime as dt

from certifications.models import Certificate, CertificationRequest
from certportal import webhooks


def request_state_changed(
    request: CertificationRequest,
    *,
    transition: str,
    from_state: str,
    comment: str,
    at: dt.datetime,
) -> None:
    webhooks.emit(
        partner_id=request.integration.partner_id,
        event="request.state_changed",
        data={
            "request_id": request.pk,
            "integration_id": request.integration_id,
            "version": request.version,
            "commit_sha": request.commit_sha,
            "transition": transition,
            "from_state": from_state,
            "state": request.state,
            "comment": comment,
            "at": at,
        },
    )


def certificate_issued(certificate: Certificate, *, superseded: list[int]) -> None:
    request = certificate.request
    partner_id = request.integration.partner_id
    webhooks.emit(
        partner_id=partner_id,
        event="certificate.issued",
        data={
            "certificate_id": certificate.pk,
            "request_id": request.pk,
            "version": certificate.version,
            "commit_sha": certificate.commit_sha,
            "issued_at": certificate.issued_at,
            "valid_until": certificate.valid_until,
            "verification_code": certificate.verification_code,
        },
    )
    for pk in superseded:
        webhooks.emit(
            partner_id=partner_id,
            event="certificate.superseded",
            data={"certificate_id": pk, "superseded_by": certificate.pk},
        )


def certificate_revoked(certificate: Certificate, *, reason: str) -> None:
    """The seal was revoked (the `revoke` transition, once a second person confirmed): the
    verification page, its JSON and the badge say so from now on."""
    webhooks.emit(
        partner_id=certificate.request.integration.partner_id,
        event="certificate.revoked",
        data={
            "certificate_id": certificate.pk,
            "request_id": certificate.request_id,
            "version": certificate.version,
            "revoked_at": certificate.revoked_at,
            "reason": reason,
            "verification_code": certificate.verification_code,
        },
    )
