"""axe-core finds no critical or serious violations on any partner portal page."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from certifications.models import Certificate, CertificationRequest, Integration
from support.models import Ticket
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _portal_urls() -> list[str]:
    module = Integration.objects.get(name="Acme Captions for MediaSpace")
    draft = CertificationRequest.objects.get(state="draft", integration__partner__name="Acme")
    urls = [
        reverse("portal:dashboard"),
        reverse("portal:integration_list"),
        reverse("portal:integration_create"),
        reverse("portal:integration_detail", args=[module.pk]),
        reverse("portal:integration_edit", args=[module.pk]),
        reverse("portal:request_new", args=[module.pk]),
        reverse("portal:agreement"),
        reverse("portal:business_review"),
        reverse("portal:support_plan"),
        reverse("portal:team"),
        reverse("support:ticket_list"),
        reverse("support:ticket_new"),
        reverse("support:integration", args=[module.pk]),
        reverse("support:update_start", args=[module.pk]),
        reverse("notifications:list"),
    ]
    urls += [
        reverse("portal:request_step", args=[draft.pk, step])
        for step in ("details", "checklist", "documents", "environments", "review")
    ]
    for request in CertificationRequest.objects.filter(integration__partner__name="Acme"):
        urls.append(reverse("portal:request_detail", args=[request.pk]))
    ticket = Ticket.objects.filter(integration__partner__name="Acme").first()
    if ticket is not None:
        urls.append(reverse("support:ticket_detail", args=[ticket.pk]))
    certificate = Certificate.objects.filter(request__integration=module).first()
    urls.append(reverse("portal:verify", args=[certificate.verification_code]))
    return urls


# The widest element that sticks out of a 390 px wide page, for the failure message.
WIDEST = """() => {
  const limit = document.documentElement.clientWidth;
  let worst = null;
  for (const el of document.querySelectorAll("main *")) {
    const right = el.getBoundingClientRect().right;
    if (right > limit + 1 && (!worst || right > worst.right)) {
      worst = {right, tag: el.tagName, cls: el.className, text: el.textContent.slice(0, 60)};
    }
  }
  return worst;
}"""


@pytest.mark.slow(seconds=20)
def test_no_serious_accessibility_violations_on_portal_pages(page, live_server, axe_check):
    call_command("seed_demo", "--force", stdout=io.StringIO())
    login(page, live_server, "acme-admin")
    problems = {}
    urls = _portal_urls()
    for url in urls:
        response = page.goto(live_server.url + url)
        assert response.status == 200, url
        found = axe_check(page)
        if found:
            problems[url] = found
    # The request pages (long commit SHAs, seal snippet) also fit a 390 px wide phone.
    page.set_viewport_size({"width": 390, "height": 900})
    for url in (u for u in urls if re.fullmatch(r"/portal/requests/\d+/", u)):
        page.goto(live_server.url + url)
        if page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        ):
            problems[f"{url}@390 overflow"] = page.evaluate(WIDEST)
    assert problems == {}
    assert len(urls) >= 25
