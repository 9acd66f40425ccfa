"""Pieces the review queue and the request page share: SLA badge classes, the reviewer
list, the client address, and the one-query permission load both pages start with."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet, Value
from django.http import HttpRequest

from certifications import sla
from certportal import client_address, roles

# CSS class of the badge per SLA status (the queue's column and the request page).
SLA_BADGE = {
    sla.ON_TRACK: "ok",
    sla.DUE_SOON: "warn",
    sla.OVERDUE: "bad",
    sla.PAUSED: "info",
    sla.STOPPED: "",
}


def reviewers() -> QuerySet:
    """Staff in the reviewer role: who a request can be assigned to."""
    return roles.staff_in(roles.REVIEWER)


def client_ip(request: HttpRequest) -> str | None:
    """The address recorded with a credential reveal: the ground's one answer, so the audit
    row names the same client as the security log and the sign-in lockout."""
    return client_address.client_ip(request)


def prime_permission_cache(user: Any) -> None:
    """Load the user's group names and Django permissions (own and through groups) in one
    query, into the caches certportal.roles and ModelBackend keep on the user object,
    instead of the three queries the role check and the admin's app list would run. Same
    result: ModelBackend is the only permission backend."""
    if getattr(user, "_perm_cache", None) is not None or not user.is_active:
        return
    groups = Group.objects.filter(user=user).order_by().values_list(Value("g"), "name", Value(""))
    permissions = (
        Permission.objects.filter(Q(user=user) | Q(group__user=user))
        .order_by()
        .values_list(Value("p"), "content_type__app_label", "codename")
        .distinct()
    )
    rows = list(groups.union(permissions, all=True))
    user._certportal_groups = frozenset(name for kind, name, _ in rows if kind == "g")
    if user.is_superuser:
        return  # ModelBackend gives superusers every permission without asking
    user._perm_cache = {f"{app}.{codename}" for kind, app, codename in rows if kind == "p"}
