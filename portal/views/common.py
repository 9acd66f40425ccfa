"""What the portal's certification pages share: the person's own rows (scoped by their
selector and by the person's memberships) and display labels."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from certifications import selectors, sla
from certifications.enums import RequestState

_PK = 2147483647  # stands for the row's key in `row_url`'s one reverse


def row_url(name: str, *args: Any):
    """The path of URL `name` for one row's key (its last argument), as a function of the
    key: one reverse for a list's links instead of one per row (issue 19)."""
    head, tail = reverse(name, args=[*args, _PK]).rsplit(str(_PK), 1)
    return lambda pk: f"{head}{pk}{tail}"


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
    """The request `pk` as `scoped_requests` finds it (its integration, partner and
    assigned reviewer loaded), or a 404."""
    req = selectors.request_in_portal(
        user=request.user, partner_ids=request.portal.partner_ids, pk=pk
    )
    if req is None:
        raise Http404("No such request.")
    return req
