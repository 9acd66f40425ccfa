"""Public pages (no login): certificate verification."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render

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
