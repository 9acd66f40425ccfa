from django.conf import settings

from certportal import roles, sqlread
from certportal.links import link


def _is_member(user) -> bool:
    """Whether the user belongs to any organisation: one hand-written statement over the
    reverse relation's table (the ground names no app; `exists()`'s compile cost three
    times its run on every page with the navigation)."""
    cached = getattr(user, "_certportal_is_member", None)
    if cached is None:
        relation = user.memberships
        table, column = relation.model._meta.db_table, relation.field.column
        sql = f'SELECT 1 FROM "{table}" WHERE "{column}" = %s LIMIT 1'  # noqa: S608 (no values in the SQL)
        cached = sqlread.fetch_one(sql, [user.pk]) is not None
        user._certportal_is_member = cached
    return cached


def portal(request):
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_is_staff": roles.is_vendor_staff(user) if authenticated else False,
        "nav_is_manager": roles.is_partner_manager(user) if authenticated else False,
        # Callable: the template calls it only where the link is shown, so pages without
        # the portal nav (the admin) skip the membership query.
        "nav_portal_url": (lambda: link("portal:dashboard") if _is_member(user) else None)
        if authenticated
        else None,
        # Callable too: only the staff navigation and the home page show it.
        "nav_manage_url": (lambda: link("manage:overview")) if authenticated else None,
    }
