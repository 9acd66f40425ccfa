"""SLA reminders: tell the assigned reviewer and the partner managers when a request's
review is due soon or overdue, once per request and threshold.

"Once" is enforced by ``Notification.dedupe_key`` (unique per recipient), so the daily task
can run twice, or late, without repeating itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from certifications import sla
from certifications.enums import VENDOR_STATES
from certifications.models import CertificationRequest
from certportal.links import link
from certportal.outbox import notify
from partners import services as partner_services

THRESHOLDS = {
    sla.DUE_SOON: ("sla_due_soon", "{r}: review due in {days} days"),
    sla.OVERDUE: ("sla_overdue", "{r}: review is overdue"),
}


def sla_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Queue due-soon/overdue reminders; returns how many notifications were written."""
    now = now or timezone.now()
    managers = partner_services.partner_managers()
    written = 0
    requests = (
        CertificationRequest.objects.filter(state__in=VENDOR_STATES, sla_due_at__isnull=False)
        .select_related("integration", "assigned_reviewer")
        .order_by("sla_due_at")
    )
    for request in requests:
        status = sla.status(state=request.state, due_at=request.sla_due_at, now=now)
        if status not in THRESHOLDS:
            continue
        event, subject = THRESHOLDS[status]
        recipients: list[Any] = [*managers]
        if request.assigned_reviewer is not None:
            recipients.insert(0, request.assigned_reviewer)
        days = sla.days_left(request.sla_due_at, now)
        written += len(
            notify(
                recipients=recipients,
                event=event,
                subject=subject.format(r=f"{request.integration} {request.version}", days=days),
                context={"request": request, "due_at": request.sla_due_at, "days_left": days},
                link=link("admin:certifications_certificationrequest_change", request.pk),
                critical=status == sla.OVERDUE,
                dedupe_key=f"{event}:{request.pk}",
            )
        )
    return written
