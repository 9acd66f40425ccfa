"""Who may fire each request transition: partner admins submit, resubmit and withdraw; the
assigned reviewer runs intake, testing and review; partner managers publish, and with the
assigned reviewer may hold, resume and reject."""

from __future__ import annotations

from typing import Any

from certportal import roles
from partners import permissions as partner_perms


def _partner_id(request: Any) -> int | None:
    integration = getattr(request, "integration", None)
    return getattr(integration, "partner_id", None)


def is_request_partner_admin(request: Any, user: Any) -> bool:
    return partner_perms.is_partner_admin(user, _partner_id(request))


def is_request_partner_editor(request: Any, user: Any) -> bool:
    return partner_perms.is_partner_developer(user, _partner_id(request))


def is_request_member(request: Any, user: Any) -> bool:
    return partner_perms.is_member(user, _partner_id(request))


def is_assigned_reviewer(request: Any, user: Any) -> bool:
    return (
        roles.is_reviewer(user)
        and request.assigned_reviewer_id is not None
        and request.assigned_reviewer_id == user.pk
    )


def is_manager(request: Any, user: Any) -> bool:
    return roles.is_partner_manager(user)


def is_reviewer_or_manager(request: Any, user: Any) -> bool:
    return is_assigned_reviewer(request, user) or roles.is_partner_manager(user)


def can_reveal_credentials(request: Any, user: Any) -> bool:
    """Only the assigned reviewer sees test-account passwords in clear."""
    return is_assigned_reviewer(request, user)
