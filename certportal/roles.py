"""Vendor staff roles. Roles are Django groups created by a data migration; check them
here, never by group name in views."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

REVIEWER = "Reviewer"
PARTNER_MANAGER = "Partner manager"
SUPPORT_AGENT = "Support agent"
STAFF_GROUPS = (REVIEWER, PARTNER_MANAGER, SUPPORT_AGENT)

UserLike = AbstractBaseUser | AnonymousUser


def group_names(user: UserLike) -> frozenset[str]:
    """Group names of a user, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_certportal_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._certportal_groups = cached
    return cached


def is_reviewer(user: UserLike) -> bool:
    return bool(getattr(user, "is_staff", False)) and REVIEWER in group_names(user)


def is_partner_manager(user: UserLike) -> bool:
    return bool(getattr(user, "is_staff", False)) and (
        PARTNER_MANAGER in group_names(user) or bool(getattr(user, "is_superuser", False))
    )


def is_support_agent(user: UserLike) -> bool:
    return bool(getattr(user, "is_staff", False)) and SUPPORT_AGENT in group_names(user)


def is_vendor_staff(user: UserLike) -> bool:
    return bool(getattr(user, "is_staff", False)) and bool(
        group_names(user) & set(STAFF_GROUPS) or getattr(user, "is_superuser", False)
    )


def staff_in(group: str) -> QuerySet:
    """Active vendor staff in `group` (a role above), by username: who gets a role's
    notifications, who may be assigned."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=group)
        .order_by("username")
        .distinct()
    )
