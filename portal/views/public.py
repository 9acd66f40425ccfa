"""Public pages (no login): certificate verification and the site icon."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from certifications.verification import verification_for
from certportal.pagecache import cached_view

# --- Public verification -------------------------------------------------------------------


@login_not_required
@cached_view("verify", "verify")
def verify(request, code):
    v = verification_for(code)
    if v is None:
        raise Http404("Unknown verification code")
    return render(
        request,
        "portal/verify.html",
        {
            "certificate": v.certificate,
            "partner": v.partner,
            "integration": v.integration,
            "agreement_active": v.agreement_active,
            "expired": v.expired,
            "revoked": v.revoked,
        },
    )


# --- /favicon.ico ----------------------------------------------------------------------------


@login_not_required
@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon in
    static/ (its hashed name in production), instead of a logged 404 on every first visit."""
    return HttpResponseRedirect(static("favicon.ico"))
