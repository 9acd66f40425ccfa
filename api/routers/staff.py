"""Staff endpoints (reviewers' scripts): the review queue and its transitions, by the same
services and rules as the back office (the assigned reviewer runs intake, testing and
review; managers publish; submit is the partner's)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest
from ninja import Router

from api.auth import Principal, principal_of
from api.pagination import DEFAULT_LIMIT, Cursor, Limit, page
from api.problems import ERRORS
from api.routers.common import load
from api.routers.requests import detail
from api.schemas import AssignIn, QueuePage, RequestDetail, TransitionIn
from certifications import selectors, services
from certifications.enums import OPEN_STATES, RequestKind, RequestState
from certportal import security
from certportal.errors import ProgramError

router = Router()


def _staff(request: HttpRequest) -> Principal:
    p = principal_of(request)
    if not p.is_staff:  # api.auth refused it already; kept next to the handlers that rely on it
        security.log_denial(request, 403, "staff API endpoint without a staff principal")
        raise ProgramError("These endpoints are for vendor staff.", code="not_allowed")
    return p


@router.get("/queue", response={200: QueuePage, **ERRORS}, url_name="staff_queue")
def queue(
    request: HttpRequest,
    state: RequestState | None = None,
    kind: RequestKind | None = None,
    mine: bool = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Open requests (submitted, in review, changes requested, on hold), newest first."""
    p = _staff(request)
    qs = selectors.requests_for(user=p.user).filter(state__in=OPEN_STATES)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if mine:
        qs = qs.filter(assigned_reviewer=p.user)
    return page(qs, cursor=cursor, limit=limit)


@router.get(
    "/requests/{int:request_id}", response={200: RequestDetail, **ERRORS}, url_name="staff_request"
)
def staff_request(request: HttpRequest, request_id: int):
    p = _staff(request)
    return detail(load(selectors.requests_for(user=p.user), request_id), p)


@router.post(
    "/requests/{int:request_id}/transitions",
    response={200: RequestDetail, **ERRORS},
    url_name="staff_transition",
)
def transition(request: HttpRequest, request_id: int, payload: TransitionIn):
    """Fire a review transition; 409 with the service's reason when refused."""
    p = _staff(request)
    req = load(selectors.requests_for(user=p.user), request_id)
    services.request_transition(
        request=req, name=payload.name, actor=p.user, comment=payload.comment
    )
    return detail(load(selectors.requests_for(user=p.user), request_id), p)


@router.post(
    "/requests/{int:request_id}/assign",
    response={200: RequestDetail, **ERRORS},
    url_name="staff_assign",
)
def assign(request: HttpRequest, request_id: int, payload: AssignIn):
    """Assign a reviewer (yourself by default; managers assign anyone)."""
    p = _staff(request)
    req = load(selectors.requests_for(user=p.user), request_id)
    reviewer = p.user
    if payload.reviewer_id is not None:
        reviewer = get_user_model().objects.filter(pk=payload.reviewer_id, is_active=True).first()
        if reviewer is None:
            raise Http404("No such reviewer")
    services.request_assign(request=req, reviewer=reviewer, actor=p.user)
    return detail(load(selectors.requests_for(user=p.user), request_id), p)
