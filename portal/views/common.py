"""What the portal's certification pages share: the person's own rows (scoped by their
selector and by the person's memberships) and display labels."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone

from certifications import selectors, sla
from certifications.enums import RequestState


def state_label(state: str | None) -> str:
    return RequestState(state).label if state else ""


def sla_info(req, now=None) -> dict:
    """The SLA clock of a request as the partner sees it: due date, status, days left."""
    now = now or timezone.now()
    status = sla.status(state=req.state, due_at=req.sla_due_at, now=now)
    return {
        "due_at": req.sla_due_at,
        "status": status,
        "label": sla.STATUS_LABELS[status],
        "days_left": sla.days_left(req.sla_due_at, now),
    }


def scoped_requests(request):
    """Requests the person may see, limited to their own organisations (staff who are not
    members see none here)."""
    return selectors.requests_for(user=request.user).filter(
        integration__partner_id__in=request.portal.partner_ids
    )


def scoped_integrations(request):
    return selectors.integrations_for(user=request.user).filter(
        partner_id__in=request.portal.partner_ids
    )


def load_request(request, pk):
    return get_object_or_404(scoped_requests(request), pk=pk)
