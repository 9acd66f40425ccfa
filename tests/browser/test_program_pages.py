"""Issue 18's pages in a browser at 1280 and 390 px: the metrics page, the ledgers (the
manager's partner page and the partner's agreement page), the fees page and the public
marketplace; and the reviewers' request page and queue. No horizontal overflow, no critical or serious axe violations; the metrics
page's screenshots are kept in test-artifacts/."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from certifications.models import CertificationRequest
from partners.models import Partner
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTHS = (1280, 390)


@pytest.mark.slow(seconds=15)
def test_program_pages_fit_and_pass_axe(
    browser, live_server, shoot, axe_check, staff_authenticators
):
    call_command("seed_demo", "--force", stdout=io.StringIO())
    staff_authenticators("manager", "reviewer")
    acme = Partner.objects.get(name="Acme")
    reviewed = (
        CertificationRequest.objects.filter(integration__partner=acme, findings__isnull=False)
        .order_by("pk")
        .first()
    )
    walks = {
        "manager": [
            ("metrics", reverse("manage:metrics")),
            ("partner-ledgers", reverse("manage:partner", args=[acme.pk])),
        ],
        "acme-admin": [("agreement-ledgers", reverse("portal:agreement"))],
        # The reviewers' request page: its wide tables and the guideline select stay
        # inside their cards on a phone.
        "reviewer": [
            (
                "review-request",
                reverse("admin:certifications_certificationrequest_change", args=[reviewed.pk]),
            ),
            ("review-queue", reverse("admin:review_queue")),
        ],
        "": [("marketplace", reverse("portal:marketplace"))],
    }
    problems: dict[str, object] = {}
    for username, pages in walks.items():
        tab = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}).new_page()
        if username:
            login(tab, live_server, username)
        for name, url in pages:
            for width in WIDTHS:
                tab.set_viewport_size({"width": width, "height": 900})
                response = tab.goto(live_server.url + url)
                assert response.status == 200, url
                overflow = tab.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                if overflow > 0:
                    problems[f"{name}@{width} overflow"] = overflow
                found = axe_check(tab)
                if found:
                    problems[f"{name}@{width} axe"] = found
                if name == "metrics":
                    assert tab.locator("svg.chart").count() >= 8
                    shoot(tab, f"metrics-{width}")
                elif width == WIDTHS[-1]:
                    shoot(tab, f"{name}-{width}")
        tab.context.close()
    assert problems == {}
