"""Pieces the review queue and the request page share: SLA badge classes, the reviewer
list, the client address, and the one-query permission load both pages start with."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import HttpRequest

from certifications import sla
from certportal import client_address, roles, sqlread

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


@cache
def _permission_rows_sql() -> str:
    """The user's groups ('g', name, '') and permissions ('p', app label, codename), own
    and through groups, in one hand-written statement (certportal.sqlread: compiling the
    ORM's union of two joined querysets cost more than running it)."""
    User = get_user_model()
    user_groups = User.groups.through._meta.db_table
    user_perms = User.user_permissions.through._meta.db_table
    group_perms = Group.permissions.through._meta.db_table
    return (
        f'SELECT \'g\', "g"."name", \'\' FROM "{Group._meta.db_table}" "g" '  # noqa: S608 (no values in the SQL)
        f'INNER JOIN "{user_groups}" "ug" ON ("ug"."group_id" = "g"."id") '
        'WHERE "ug"."user_id" = %s '
        "UNION ALL "
        f'SELECT DISTINCT \'p\', "ct"."app_label", "p"."codename" FROM "{Permission._meta.db_table}" "p" '
        f'INNER JOIN "{ContentType._meta.db_table}" "ct" ON ("p"."content_type_id" = "ct"."id") '
        f'WHERE "p"."id" IN (SELECT "up"."permission_id" FROM "{user_perms}" "up" '
        'WHERE "up"."user_id" = %s) '
        f'OR "p"."id" IN (SELECT "gp"."permission_id" FROM "{group_perms}" "gp" '
        f'INNER JOIN "{user_groups}" "ug2" ON ("ug2"."group_id" = "gp"."group_id") '
        'WHERE "ug2"."user_id" = %s)'
    )


def prime_permission_cache(user: Any) -> None:
    """Load the user's group names and Django permissions (own and through groups) in one
    query, into the caches certportal.roles and ModelBackend keep on the user object,
    instead of the three queries the role check and the admin's app list would run. Same
    result: ModelBackend is the only permission backend (tests/backoffice compares)."""
    if getattr(user, "_perm_cache", None) is not None or not user.is_active:
        return
    rows = sqlread.fetch_all(_permission_rows_sql(), [user.pk, user.pk, user.pk])
    user._certportal_groups = frozenset(name for kind, name, _ in rows if kind == "g")
    if user.is_superuser:
        return  # ModelBackend gives superusers every permission without asking
    user._perm_cache = {f"{app}.{codename}" for kind, app, codename in rows if kind == "p"}
