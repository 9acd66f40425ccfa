"""The reviews app's outgoing webhook events: findings added and updated (status or a
reply). Called by the finding services inside their transaction."""

from __future__ import annotations

from certportal import webhooks
from reviews.models import Finding


def finding_event(finding: Finding, *, event: str, reply_id: int | None = None) -> None:
    request = finding.request
    webhooks.emit(
        partner_id=request.integration.partner_id,
        event=event,
        data={
            "finding_id": finding.pk,
            "request_id": finding.request_id,
            "stage": finding.stage,
            "status": finding.status,
            "severity": finding.severity,
            "title": finding.title,
            "reply_id": reply_id,
        },
    )
