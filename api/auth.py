"""Who is calling: a bearer token (organisation or staff) or, for the browsable docs, the
signed-in session (CSRF-checked on writes). Either gives a `Principal`: the person the
services see as the actor, the organisations whose data the call may touch, and whether it
may write. The scope check, the write audit and the per-token rate limit happen here, once
for every operation."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from certportal import roles
from certportal.auth import is_verified, staff_must_verify
from certportal.client_address import client_ip
from certportal.errors import ProgramError
from certportal.models import UserProfile
from partners.models import Membership
from partners.services import api_access
from partners.tokens import ApiToken

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ScopeError(Exception):
    """A read-scope token tried to write (403)."""


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


@dataclass
class Principal:
    user: Any
    token: ApiToken | None
    # Organisations whose data this call may see (a token: its own; a session: the
    # person's memberships). Staff tokens see none here, only the staff endpoints.
    partner_ids: list[int] = field(default_factory=list)
    # The organisation new integrations are registered in.
    partner_id: int | None = None
    can_write: bool = False

    @property
    def is_staff(self) -> bool:
        if self.token is not None and not self.token.is_staff_token:
            return False
        return roles.is_vendor_staff(self.user)

    @property
    def rate_key(self) -> str:
        return f"t{self.token.pk}" if self.token else f"u{self.user.pk}"


def rate_limit() -> int:
    return int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 120))


def _check_rate(principal: Principal) -> None:
    """A fixed one-minute window per token (per person for a session) in the shared cache;
    over the limit the call is refused with Retry-After, the seconds left in the window."""
    limit = rate_limit()
    if limit <= 0:
        return
    now = time.time()
    window = int(now // 60)
    key = f"api-rate:{settings.PAGE_CACHE_NAMESPACE}:{principal.rate_key}:{window}"
    try:
        added = cache.add(key, 1, timeout=70)
        count = 1 if added else cache.incr(key)
    except Exception:  # the cache is down: serve rather than refuse everybody
        return
    if count > limit:
        raise RateLimited(max(1, math.ceil((window + 1) * 60 - now)))


STAFF_PATH = "/api/v1/staff/"


def _object_partner(principal: Principal, kwargs: dict[str, Any]) -> int | None:
    """The organisation of the object the path names, if the caller may see it; 404
    otherwise (checked before the body is even read, as the pages do)."""
    from django.http import Http404

    from certifications import selectors as cert_selectors
    from certifications.models import Certificate
    from reviews import selectors as review_selectors

    requests = cert_selectors.requests_for(user=principal.user).filter(
        integration__partner_id__in=principal.partner_ids
    )
    if "request_id" in kwargs:
        qs = requests.filter(pk=kwargs["request_id"]).values_list("integration__partner_id")
    elif "finding_id" in kwargs:
        qs = review_selectors.findings_for_requests(requests).filter(pk=kwargs["finding_id"])
        qs = qs.values_list("request__integration__partner_id")
    elif "certificate_id" in kwargs:
        qs = Certificate.objects.filter(
            request__in=requests.values("pk"), pk=kwargs["certificate_id"]
        )
        qs = qs.values_list("request__integration__partner_id")
    elif "integration_id" in kwargs:
        qs = cert_selectors.integrations_for(user=principal.user).filter(
            partner_id__in=principal.partner_ids, pk=kwargs["integration_id"]
        )
        qs = qs.values_list("partner_id")
    else:
        return principal.partner_id
    row = qs.first()
    if row is None:
        raise Http404("Not one of your organisation's objects")
    return row[0]


def _check_path(request: HttpRequest, principal: Principal) -> None:
    """Who may use which part of the API, before any input is parsed: staff endpoints need
    a staff principal (403); the rest need an organisation (403 for staff without one), the
    object in the path must be one of the caller's (404), and a session may write only with
    a developer's or admin's role in that organisation (403, as on the pages; tokens are
    always an admin's). The services then apply the exact rule of each action."""
    from partners.enums import MemberRole
    from partners.permissions import member_role, role_at_least

    if request.path.startswith(STAFF_PATH):
        if not principal.is_staff:
            raise ProgramError("These endpoints are for vendor staff.", code="not_allowed")
        return
    if not principal.partner_ids:
        raise ProgramError(
            "These endpoints are for partner organisations (staff use /api/v1/staff/).",
            code="not_allowed",
        )
    match = getattr(request, "resolver_match", None)
    partner_id = _object_partner(principal, dict(match.kwargs) if match else {})
    session_write = request.method not in SAFE_METHODS and principal.token is None
    if session_write and not role_at_least(
        member_role(principal.user, partner_id), MemberRole.DEVELOPER
    ):
        raise ProgramError("Your role can read but not change this.", code="not_allowed")


def _admit(request: HttpRequest, principal: Principal) -> Principal:
    _check_path(request, principal)
    if request.method not in SAFE_METHODS:
        if not principal.can_write:
            raise ScopeError()
        if principal.token is not None:
            api_access.api_token_audit_write(
                token=principal.token,
                method=request.method or "",
                path=request.path,
                ip_address=client_ip(request),
            )
    _check_rate(principal)
    return principal


class TokenAuth(HttpBearer):
    """`Authorization: Bearer cpt_…` (an organisation's or a staff member's token)."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        found = api_access.api_token_authenticate(raw=token, ip_address=client_ip(request))
        if found is None:
            return None
        principal = Principal(
            user=found.user,
            token=found,
            partner_ids=[found.partner_id] if found.partner_id else [],
            partner_id=found.partner_id,
            can_write=found.can_write,
        )
        return _admit(request, principal)


class SessionAuth(APIKeyCookie):
    """The signed-in session, for trying the API from the docs page. Writes need the CSRF
    token (the docs page sends it); staff need their verified second factor, as on the
    back office."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if "authorization" in request.headers:
            return None  # a bearer token was sent: it alone decides
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = getattr(request, "user", None)
        if key is None or user is None or not user.is_authenticated:
            return None
        if staff_must_verify(user) and not is_verified(user):
            return None
        memberships = list(Membership.objects.filter(user=user).values_list("partner_id", "role"))
        user._certportal_member_roles = dict(memberships)
        partner_ids = [pk for pk, _ in memberships]
        current = None
        if partner_ids:
            chosen = (
                UserProfile.objects.filter(user=user)
                .values_list("current_partner_id", flat=True)
                .first()
            )
            current = chosen if chosen in partner_ids else partner_ids[0]
        principal = Principal(
            user=user, token=None, partner_ids=partner_ids, partner_id=current, can_write=True
        )
        return _admit(request, principal)


def principal_of(request: HttpRequest) -> Principal:
    return request.auth  # type: ignore[attr-defined]
