"""Public pages (no login): certificate verification and the site icon."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from certifications import selectors
from certportal.pagecache import cached_view
from partners import selectors as partner_selectors

# --- Public verification -------------------------------------------------------------------


@login_not_required
@cached_view("verify", "verify")
def verify(request, code):
    certificate = selectors.certificate_by_code(code)
    if certificate is None:
        raise Http404("Unknown verification code")
    partner = certificate.request.integration.partner
    agreement = partner_selectors.agreement_in_force(partner=partner.pk)
    return render(
        request,
        "portal/verify.html",
        {
            "certificate": certificate,
            "partner": partner,
            "integration": certificate.request.integration,
            "agreement_active": agreement is not None,
            "expired": certificate.valid_until < timezone.localdate(),
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
