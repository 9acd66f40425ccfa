"""Public pages (no login): certificate verification."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

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
