"""The seal (public, no login): a certificate's embeddable SVG badge and its verification
as JSON, beside the HTML verification page. The badge is cached long by browsers and
proxies and carries an ETag, so a page that embeds it revalidates cheaply (304)."""

from __future__ import annotations

import hashlib
import json

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_GET

from certifications.verification import Verification, verification_for

BADGE_MAX_AGE = 86400  # a day: a revocation reaches embedding pages within it
JSON_MAX_AGE = 300
COLOURS = {"valid": "#1f7a3a", "revoked": "#b3261e", "expired": "#5b6470"}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def badge_svg(v: Verification) -> str:
    """A 320 × 72 badge: the seal's status, partner, integration, version, validity."""
    c = v.certificate
    status = v.status
    colour = COLOURS.get(status, "#8a5a00")
    if status == "valid":
        headline = "Certified"
    elif status in ("revoked", "expired"):
        headline = f"Certification {v.status_label.lower()}"
    else:
        headline = f"Certified · {v.status_label.lower()}"
    line3 = f"Version {c.version} · valid until {c.valid_until:%d %b %Y}"
    if status == "revoked":
        line3 = f"Version {c.version} · revoked {c.revoked_at:%d %b %Y}"
    label = f"{headline}: {v.partner.name}, {v.integration.name}. {line3}"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="72" viewBox="0 0 320 72" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        '<rect width="320" height="72" rx="8" fill="#ffffff" stroke="#c9d1db"></rect>'
        f'<rect width="8" height="72" rx="4" fill="{colour}"></rect>'
        '<g font-family="system-ui, -apple-system, Segoe UI, sans-serif" fill="#1f2933">'
        f'<text x="20" y="22" font-size="14" font-weight="700" fill="{colour}">'
        f"{escape(headline)}</text>"
        f'<text x="20" y="41" font-size="13" font-weight="600">'
        f"{escape(_clip(f'{v.partner.name} · {v.integration.name}', 42))}</text>"
        f'<text x="20" y="59" font-size="12">{escape(line3)}</text></g></svg>'
    )


def _public(request, body: bytes, content_type: str, max_age: int) -> HttpResponse:
    """A public, cacheable response with an ETag of its body; 304 when the client has it.
    Embedded on partners' own sites, so it may be loaded cross-origin."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
@login_not_required
def seal_badge(request, code):
    v = verification_for(code)
    if v is None:
        raise Http404("Unknown verification code")
    return _public(request, badge_svg(v).encode(), "image/svg+xml; charset=utf-8", BADGE_MAX_AGE)


@require_GET
@login_not_required
def verify_json(request, code):
    v = verification_for(code)
    if v is None:
        return JsonResponse({"error": "unknown verification code"}, status=404)
    url = request.build_absolute_uri(reverse("portal:verify", args=[code]))
    body = json.dumps(v.as_json(url=url), sort_keys=True).encode()
    response = _public(request, body, "application/json", JSON_MAX_AGE)
    response["Access-Control-Allow-Origin"] = "*"
    return response
