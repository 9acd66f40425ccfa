"""One walk through the API access pages and the browsable API docs in chromium: a partner
admin creates a token (shown once) and a webhook endpoint, and the Swagger UI renders every
operation from the portal's own static files with the site's CSP intact (no violation, no
request to another origin)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.conftest import login
from tests.factories import PartnerFactory, member

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_api_access_pages_and_docs(page, live_server, shoot, axe_check):
    partner = PartnerFactory(name="Acme Browser", slug="acme-browser")
    admin = member(partner, "admin", "api-walker")
    admin.set_password("pw-api-walker-1")
    admin.save()
    origins, problems = set(), []
    page.on("request", lambda r: origins.add(urlparse(r.url).netloc))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    # Recorded from the first script of every page on (a listener added later misses the
    # violations of the page's own load).
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI))"
    )
    login(page, live_server, "api-walker", "pw-api-walker-1")

    page.goto(f"{live_server.url}/portal/api/")
    page.fill("#id_name", "GitHub Actions")
    page.select_option("#id_scope", "write")
    page.click("button:has-text('Create token')")
    token = page.input_value("#new-token")
    assert token.startswith("cpt_")
    assert axe_check(page) == []
    shoot(page, "api-token-created")
    page.goto(f"{live_server.url}/portal/api/")
    assert token not in page.content()

    page.goto(f"{live_server.url}/portal/api/webhooks/")
    page.fill("#id_url", f"{live_server.url}/hook")
    page.check("input[value='request.state_changed']")
    page.click("button:has-text('Add endpoint')")
    assert page.input_value("#new-secret").startswith("whsec_")
    assert axe_check(page) == []

    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".opblock", timeout=20000)
    assert page.locator(".opblock").count() > 25
    shoot(page, "api-docs")
    assert page.evaluate("window.__csp") == []
    assert origins == {urlparse(live_server.url).netloc}, origins
    assert problems == []
