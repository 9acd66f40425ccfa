"""Reads of the support app, scoped to the user. Partner members see their own
organisations' tickets and only their public events; the support desk sees everything."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When

from certifications import selectors as cert_selectors
from certifications.enums import CERTIFIED_STATES
from certifications.models import CertificationRequest
from certportal import roles
from partners.models import Membership, SupportPlan
from support import permissions as perms
from support.enums import OPEN_TICKET_STATES, PENDING_MEETING_STATES, MeetingState, Severity
from support.models import SupportMeeting, Ticket, TicketAttachment, TicketEvent
from support.services.timers import resolution_hours, response_hours


def tickets_for(*, user: Any, partner_ids: list[int] | None = None) -> QuerySet[Ticket]:
    if perms.is_support_staff(user):
        qs = Ticket.objects.all()
    elif getattr(user, "is_authenticated", False):
        qs = Ticket.objects.filter(
            partner_id__in=Membership.objects.filter(user=user).values("partner_id")
        )
    else:
        return Ticket.objects.none()
    if partner_ids is not None:
        qs = qs.filter(partner_id__in=partner_ids)
    return qs.select_related("integration", "partner", "raised_by")


def _breach_flags(now: dt.datetime) -> dict[str, Case]:
    """Breach flags computed in SQL so the queue filters and pages without per-row work."""
    open_q = Q(state__in=OPEN_TICKET_STATES)
    response = Q(first_response_at__isnull=True, first_response_due_at__lt=now) & open_q | Q(
        first_response_at__gt=F("first_response_due_at")
    )
    resolution = Q(resolved_at__isnull=True, resolution_due_at__lt=now) & open_q | Q(
        resolved_at__gt=F("resolution_due_at")
    )
    return {
        "response_breached": Case(
            When(response, then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        "resolution_breached": Case(
            When(resolution, then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    }


BREACH_FILTERS = ("response", "resolution", "any")


def ticket_queue(
    *,
    user: Any,
    now: dt.datetime,
    state: str = "",
    severity: str = "",
    integration_id: int | None = None,
    breach: str = "",
) -> QuerySet[Ticket]:
    """The support desk's queue, newest first, with breach flags."""
    qs = tickets_for(user=user).annotate(**_breach_flags(now))
    if state == "open":
        qs = qs.filter(state__in=OPEN_TICKET_STATES)
    elif state:
        qs = qs.filter(state=state)
    if severity:
        qs = qs.filter(severity=severity)
    if integration_id:
        qs = qs.filter(integration_id=integration_id)
    if breach == "response":
        qs = qs.filter(response_breached=True)
    elif breach == "resolution":
        qs = qs.filter(resolution_breached=True)
    elif breach == "any":
        qs = qs.filter(Q(response_breached=True) | Q(resolution_breached=True))
    return qs.order_by("-created_at", "-pk")


def public_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    """What partners may see: never internal notes."""
    return (
        ticket.events.filter(internal=False)
        .select_related("actor")
        .prefetch_related("attachments")
        .order_by("at", "id")
    )


def all_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    return (
        ticket.events.select_related("actor").prefetch_related("attachments").order_by("at", "id")
    )


def attachments_for(*, user: Any, partner_ids: list[int] | None = None) -> QuerySet:
    return TicketAttachment.objects.filter(
        ticket__in=tickets_for(user=user, partner_ids=partner_ids).values("pk")
    )


def support_plan_for(partner_id: int) -> SupportPlan | None:
    return SupportPlan.objects.filter(partner_id=partner_id).first()


def targets(plan: SupportPlan | None) -> list[dict[str, Any]]:
    """First-response and resolution targets per severity, for display."""
    return [
        {
            "severity": sev,
            "label": sev.label,
            "response_hours": response_hours(plan, sev),
            "resolution_hours": resolution_hours(sev),
        }
        for sev in Severity
    ]


def certified_integrations(*, user: Any, partner_ids: list[int] | None = None) -> QuerySet:
    """Integrations with at least one certified version (tickets are raised on these)."""
    qs = cert_selectors.integrations_for(user=user).filter(
        requests__state__in=("certified", "published")
    )
    if partner_ids is not None:
        qs = qs.filter(partner_id__in=partner_ids)
    return qs.select_related("partner").distinct().order_by("partner__name", "name")


def meetings_for(*, user: Any, pending_only: bool = False) -> QuerySet[SupportMeeting]:
    if not perms.is_support_staff(user):
        return SupportMeeting.objects.none()
    qs = SupportMeeting.objects.select_related(
        "request", "request__integration", "request__integration__partner"
    )
    if pending_only:
        qs = qs.filter(state__in=PENDING_MEETING_STATES)
    return qs.order_by("state", "scheduled_for", "created_at", "pk")


def support_meeting_for_integration(integration_id: int) -> SupportMeeting | None:
    """The integration's latest scheduled or held support meeting, for the partner's support
    page (its caller has already scoped the integration to the partner)."""
    return (
        SupportMeeting.objects.filter(
            request__integration_id=integration_id,
            state__in=(MeetingState.SCHEDULED, MeetingState.HELD),
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def certified_without_meeting(*, user: Any) -> QuerySet[CertificationRequest]:
    """Certified versions that have no support meeting (minor and docs-only updates, which
    the program does not open one for): what a partner manager may ask a meeting for."""
    if not roles.is_partner_manager(user):
        return CertificationRequest.objects.none()
    return (
        CertificationRequest.objects.filter(
            state__in=CERTIFIED_STATES, support_meeting__isnull=True
        )
        .select_related("integration", "integration__partner")
        .order_by("-closed_at", "-pk")
    )
