from django.conf import settings

from certportal import roles
from certportal.links import link


def _is_member(user) -> bool:
    cached = getattr(user, "_certportal_is_member", None)
    if cached is None:
        cached = user.memberships.exists()
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
