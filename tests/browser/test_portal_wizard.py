"""Issue 4's browser test: acme-admin fills the wizard and submits; the dashboard then shows
the request as submitted. Screenshots go to test-artifacts/ (git-ignored)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from certifications.models import CertificationRequest, Integration
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.slow(seconds=12)
def test_partner_admin_fills_wizard_and_submits(page, live_server, shoot, axe_check, tmp_path):
    call_command("seed_demo", "--force", stdout=io.StringIO())
    integration = Integration.objects.get(name="Acme Analytics Workflow")
    base = live_server.url

    login(page, live_server, "acme-admin")
    page.goto(base + reverse("portal:dashboard"))
    shoot(page, "dashboard-before")
    assert axe_check(page) == []

    page.goto(base + reverse("portal:request_new", args=[integration.pk]))
    page.fill("#id_version", "3.4.0")
    page.select_option("#id_kind", "initial")
    page.fill("#id_commit_sha", "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567")
    shoot(page, "wizard-details")
    page.click("text=Save and continue")

    # README confirmation and the guideline self-checklist
    page.check("#id_readme_confirmed")
    for radio in page.locator("input[type=radio][value=yes]").all():
        radio.check()
    shoot(page, "wizard-checklist")
    assert axe_check(page) == []
    page.click("text=Save and continue")

    # Documents: one upload per required type
    for doc_type in ("user_guide", "support_process", "installation_guide", "qa_guide"):
        path = tmp_path / f"{doc_type}.md"
        path.write_text(f"# {doc_type}\n\nContent for the reviewers.\n")
        page.select_option("#id_doc_type", doc_type)
        page.set_input_files("#id_file", str(path))
        page.click("button:has-text('Upload')")
        page.wait_for_load_state("networkidle")
    shoot(page, "wizard-documents")
    page.click("a:has-text('Continue')")  # to test environments (not needed for an API workflow)
    page.click("a:has-text('Continue')")  # to the review step

    shoot(page, "wizard-review")
    page.click("button:has-text('Submit for certification')")
    page.wait_for_load_state("networkidle")

    request = CertificationRequest.objects.get(integration=integration, version="3.4.0")
    assert request.state == "submitted"
    page.goto(base + reverse("portal:dashboard"))
    row = page.locator("tr", has_text="Acme Analytics Workflow")
    assert "Submitted" in row.inner_text()
    assert "3.4.0" in row.inner_text()
    shoot(page, "dashboard-after-submit")
