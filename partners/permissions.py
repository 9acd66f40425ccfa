"""Pure predicates `(obj, user) -> bool` for the partners app. Staff roles are groups
(certportal.roles); partner roles are Membership rows."""

from __future__ import annotations

from typing import Any

from certportal import roles
from partners.enums import MemberRole

# The one ranking of partner roles: each role may do everything the ones below it may.
ROLE_RANK: dict[str, int] = {MemberRole.VIEWER: 0, MemberRole.DEVELOPER: 1, MemberRole.ADMIN: 2}


def role_at_least(role: str | None, minimum: str) -> bool:
    """Whether `role` (None: not a member) ranks at or above `minimum`."""
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def member_role(user: Any, partner_id: int | None) -> str | None:
    """The user's role in a partner, cached per user object for the request."""
    if not getattr(user, "is_authenticated", False) or partner_id is None:
        return None
    cache = getattr(user, "_certportal_member_roles", None)
    if cache is None:
        cache = dict(user.memberships.values_list("partner_id", "role"))
        user._certportal_member_roles = cache
    return cache.get(partner_id)


def is_member(user: Any, partner_id: int | None) -> bool:
    return member_role(user, partner_id) is not None


def is_partner_admin(user: Any, partner_id: int | None) -> bool:
    return member_role(user, partner_id) == MemberRole.ADMIN


def is_partner_developer(user: Any, partner_id: int | None) -> bool:
    """Developers and admins may edit drafts and answer findings."""
    return role_at_least(member_role(user, partner_id), MemberRole.DEVELOPER)


def _partner_id(obj: Any) -> int | None:
    return getattr(obj, "partner_id", None)


def can_edit_partner_program(obj: Any, user: Any) -> bool:
    """Agreement forms, business review and support plan: partner admins."""
    return is_partner_admin(user, _partner_id(obj))


def can_manage_program(obj: Any, user: Any) -> bool:
    return roles.is_partner_manager(user)
