"""Responses (SECURITY-CHECKS rows 22 and 30): security headers and a CSP without inline
script or style on every HTML page; generic error pages that leak nothing."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.hardening.urls_boom import SECRET_MARKER

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"


@pytest.fixture
def production_headers(settings):
    # The values settings.py sets with DEBUG off (see test_settings for the env parsing).
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.DEBUG = False


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_hardened(response):
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in response.headers["Strict-Transport-Security"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def assert_no_inline_code(html: str):
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not EVENT_HANDLER.search(html)
    assert "<style" not in html.lower()
    assert not STYLE_ATTR.search(html), STYLE_ATTR.search(html).group(0)


@pytest.mark.usefixtures("production_headers")
def test_row30_headers_on_every_kind_of_html_page(
    eligible_partner, partner_admin, manager, reviewer, support_agent, integration
):
    anonymous = Client()
    pages = [(anonymous, reverse("login")), (anonymous, reverse("password_reset"))]
    partner = Client()
    partner.force_login(partner_admin)
    pages += [(partner, reverse("portal:integration_list")), (partner, reverse("portal:dashboard"))]
    pages += [(partner, reverse("otp_setup")), (partner, "/no-such-page/")]
    staff = Client()
    staff.force_login(manager)
    pages += [(staff, "/manage/"), (staff, "/admin/"), (staff, "/admin/partners/partner/")]
    support = Client()
    support.force_login(support_agent)
    pages += [(support, "/manage/support/")]
    for client, url in pages:
        response = client.get(url, secure=True)
        assert response.status_code in (200, 404), (url, response.status_code)
        assert response["Content-Type"].startswith("text/html")
        assert_hardened(response)
        assert_no_inline_code(response.content.decode())


@pytest.mark.usefixtures("production_headers")
def test_row30_lockout_and_error_pages_carry_the_headers_too(settings):
    settings.ROOT_URLCONF = "tests.hardening.urls_boom"
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", secure=True)
    assert response.status_code == 500
    assert_hardened(response)


def test_no_inline_script_or_style_in_any_template():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if "email" in path.relative_to(TEMPLATES).parts:
            continue  # e-mail bodies are not web pages; mail clients need inline styles
        text = path.read_text()
        if (
            INLINE_SCRIPT.search(text)
            or EVENT_HANDLER.search(text)
            or "<style" in text.lower()
            or STYLE_ATTR.search(text)
            or "javascript:" in text.lower()
        ):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_htmx_indicator_styles_are_off_so_htmx_works_under_csp():
    base = (TEMPLATES / "base.html").read_text()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in base
    css = (ROOT / "static" / "css" / "portal.css").read_text()
    assert ".htmx-indicator" in css


def test_row22_500_page_shows_no_traceback(settings, caplog):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.hardening.urls_boom"
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    for leak in (SECRET_MARKER, "Traceback", "RuntimeError", "urls_boom", "SECRET_KEY", "File "):
        assert leak not in html, leak
    # The error is logged for operators, not shown to the user.
    assert any(SECRET_MARKER in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_404_page_lists_no_urls(client, settings, partner_admin):
    settings.DEBUG = False
    client.force_login(partner_admin)
    response = client.get("/admin-secret-guess/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "URLconf" not in html
    assert "portal/" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_csrf_failure_and_403_pages_leak_nothing(settings, partner_admin):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    client.force_login(partner_admin)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert "Traceback" not in response.content.decode()
    assert "CSRF" not in response.content.decode() or "Help" not in response.content.decode()
