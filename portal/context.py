"""Which partner organisation the portal shows to the signed-in person.

Only memberships count: vendor staff who are not members of a partner see no partner data
under /portal/, even though the staff selectors would show them everything. A person in
several organisations picks one from the header; the choice is kept in the session and in
UserProfile.current_partner_id so it survives a new login."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from certportal import pagecache
from certportal.models import UserProfile
from partners import selectors as partner_selectors
from partners.enums import MemberRole
from partners.models import Membership, Partner
from partners.permissions import role_at_least

SESSION_KEY = "portal_partner_id"


@dataclass
class PortalContext:
    partner: Partner
    role: str
    memberships: list[Membership] = field(default_factory=list)

    @property
    def partner_ids(self) -> list[int]:
        return [m.partner_id for m in self.memberships]

    def role_in(self, partner_id: int) -> str | None:
        return next((m.role for m in self.memberships if m.partner_id == partner_id), None)

    def allows(self, minimum: str, partner_id: int | None = None) -> bool:
        role = self.role if partner_id is None else self.role_in(partner_id)
        return role_at_least(role, minimum)

    @property
    def is_admin(self) -> bool:
        return self.allows(MemberRole.ADMIN)

    @property
    def is_developer(self) -> bool:
        return self.allows(MemberRole.DEVELOPER)


def _memberships(user: Any) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    return partner_selectors.memberships_list(user_id=user.pk)


def resolve(request: Any) -> PortalContext | None:
    """The current partner and role for this request, or None for a non-member."""
    cached = getattr(request, "_portal_context", None)
    if cached is not None:
        return cached
    memberships = _memberships(request.user)
    # The header's "is a member" check (context_processors._is_member) and the role
    # predicates (partners.permissions.member_role) reuse this read instead of querying.
    request.user._certportal_is_member = bool(memberships)
    request.user._certportal_member_roles = {m.partner_id: m.role for m in memberships}
    if not memberships:
        return None
    by_partner = {m.partner_id: m for m in memberships}
    chosen = request.session.get(SESSION_KEY)
    if chosen not in by_partner:
        profile_choice = (
            UserProfile.objects.filter(user=request.user)
            .values_list("current_partner_id", flat=True)
            .first()
        )
        chosen = profile_choice if profile_choice in by_partner else memberships[0].partner_id
        request.session[SESSION_KEY] = chosen
    current = by_partner[chosen]
    ctx = PortalContext(partner=current.partner, role=current.role, memberships=memberships)
    request._portal_context = ctx
    return ctx


def switch(request: Any, partner_id: int) -> bool:
    """Make `partner_id` current if the user is a member of it; False otherwise."""
    if not Membership.objects.filter(user=request.user, partner_id=partner_id).exists():
        return False
    request.session[SESSION_KEY] = partner_id
    UserProfile.objects.update_or_create(
        user=request.user, defaults={"current_partner_id": partner_id}
    )
    request.__dict__.pop("_portal_context", None)
    return True


def portal_view(view):
    """Resolve the current partner into `request.portal`; non-members (vendor staff
    included) get a friendly 403 page that shows no partner data."""
    from functools import wraps

    from django.shortcuts import render

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        ctx = resolve(request)
        if ctx is None:
            from certportal import security

            security.log_denial(request, 403, "not a member of any partner organisation")
            return render(request, "portal/not_member.html", status=403)
        request.portal = ctx
        return view(request, *args, **kwargs)

    return wrapper


def require_role(request: Any, minimum: str, partner_id: int | None = None) -> None:
    """Raise PermissionDenied unless the user's role (in `partner_id`, default the current
    partner) is at least `minimum`."""
    from django.core.exceptions import PermissionDenied

    if not request.portal.allows(minimum, partner_id):
        from certportal import security

        security.log_denial(request, 403, f"role below {minimum} in partner {partner_id}")
        raise PermissionDenied("Your role in this organisation does not allow this.")


def paginate(request: Any, queryset: Any, per_page: int = 20):
    from django.core.paginator import Paginator

    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def paginate_counted(
    request: Any, fetch: Callable[..., tuple[list, int | None]], per_page: int = 20
):
    """`paginate` for a read that returns one page of rows with the total it was cut from
    (`fetch(offset=, limit=)` → (rows, total or None when empty)): the same page as
    Paginator.get_page (a page number that is not a number shows the first page, one out of
    range the last) in one query instead of a COUNT and a slice."""
    from django.core.paginator import Page, Paginator

    try:
        number = int(request.GET.get("page") or 1)
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    # A page number past any table (or below 1) finds nothing without sending the offset.
    in_range = 0 <= offset < 2**31
    rows, total = fetch(offset=offset, limit=per_page) if in_range else ([], None)
    if total is None:
        rows, total = fetch(offset=0, limit=per_page) if number != 1 else ([], None)
        total = total or 0
        last = Paginator((), per_page)
        last.count = total
        number = last.num_pages
        if number > 1:
            rows, total = fetch(offset=(number - 1) * per_page, limit=per_page)
    paginator = Paginator((), per_page)
    paginator.count = total  # a cached_property: the known total stands in for COUNT
    return Page(rows, number, paginator)


def page_context(request: Any) -> dict[str, Any]:
    """Header switcher data for portal templates."""
    ctx = request.portal
    return {"portal": ctx, "portal_switch": len(ctx.memberships) > 1}


def render_portal(request: Any, template: str, context: dict[str, Any] | None = None, status=200):
    from django.shortcuts import render

    return render(request, template, {**page_context(request), **(context or {})}, status=status)


# --- the page cache of portal pages ------------------------------------------------------


def partner_scopes(request: Any) -> list[str]:
    """Scopes of a portal page: every organisation the person belongs to."""
    portal = getattr(request, "portal", None)
    partner_ids = sorted({m.partner_id for m in portal.memberships}) if portal else []
    return [f"partner:{pk}" for pk in partner_ids]


def portal_page(name: str) -> Callable:
    """Decorator for a portal GET view: `portal_view` plus the page cache.

    A current stored copy is served before the membership is even read: it exists only
    for a person who passed the membership and role checks when it was drawn, and any
    change to their memberships changes the version of their own scope. Otherwise the
    view runs inside `portal_view` and the page is drawn and stored."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def drawn(request, *args, **kwargs):
            return pagecache.draw(
                request,
                name=name,
                scopes=partner_scopes(request),
                vary=f"partner={request.portal.partner.pk}",
                render=lambda: view(request, *args, **kwargs),
            )

        resolved = portal_view(drawn)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            chosen = request.session.get(SESSION_KEY) if request.user.is_authenticated else None
            if chosen is not None:
                hit = pagecache.lookup(request, name=name, vary=f"partner={chosen}")
                if hit is not None:
                    return hit
            return resolved(request, *args, **kwargs)

        return wrapper

    return decorator
