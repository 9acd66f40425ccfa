"""What the portal's certification pages share: the person's own rows (scoped by selector and by membership) and display labels."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone

from certifications import selectors, sla
from certifications.enums import (
    RequestState,
)
from partners.enums import MemberRole

DEV, ADMIN = MemberRole.DEVELOPER, MemberRole.ADMIN


def state_label(state: str | None) -> str:
    return RequestState(state).label if state else ""


def sla_info(req, now=None) -> dict:
    now = now or timezone.now()
    status = sla.status(state=req.state, due_at=req.sla_due_at, now=now)
    return {
        "due_at": req.sla_due_at,
        "status": status,
        "label": sla.STATUS_LABELS[status],
        "days_left": sla.days_left(req.sla_due_at, now),
    }


def scoped_requests(request):
    return selectors.requests_for(user=request.user).filter(
        integration__partner_id__in=request.portal.partner_ids
    )


def scoped_integrations(request):
    return selectors.integrations_for(user=request.user).filter(
        partner_id__in=request.portal.partner_ids
    )


def load_request(request, pk):
    return get_object_or_404(scoped_requests(request), pk=pk)
