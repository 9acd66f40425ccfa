"""Issue 9's browser journey against a live server with seed_demo data. Every person works
in their own browser context and signs in through the form; staff go through the TOTP step.

acme-admin registers an integration and submits it; the reviewer assigns it and requests
changes in user testing; acme-dev answers the finding; acme-admin resubmits; the reviewer
passes user testing from their queue, a second reviewer approves (the two-person rule) and
the reviewer certifies (axe on the queue and request pages); the manager sees the quota drop; the public
verification page shows the certificate; acme-admin opens a ticket and support routes it to
the partner; acme-admin submits a minor update. Screenshots go to test-artifacts/."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from certifications.models import Certificate, CertificationRequest, Integration
from partners.models import Partner
from reviews.models import Finding
from support.models import Ticket
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SHA1 = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
SHA2 = "1b2c3d4e5f60718293a4b5c6d7e8f90123456789"
SHA3 = "2c3d4e5f60718293a4b5c6d7e8f90123456789ab"
NAME = "Acme Journey Captions"


def major_used(page) -> int:
    assert "Major certifications" in page.content(), (page.url, page.content()[-3000:])
    text = page.locator(".kpi", has_text="Major certifications").first.inner_text()
    return int(re.search(r"(\d+) used", text).group(1))


def review_page(base, request) -> str:
    return f"{base}/admin/certifications/certificationrequest/{request.pk}/change/"


def click_and_wait(page, selector):
    page.click(selector)
    page.wait_for_load_state("networkidle")


def transition(page, label, comment=""):
    form = page.locator("form.transition-form", has=page.locator(f"input[value='{label}']"))
    if comment:
        form.locator("textarea").fill(comment)
    form.locator(f"input[type=submit][value='{label}']").click()
    page.wait_for_load_state("networkidle")


def upload_documents(page, tmp_path, doc_types):
    for doc_type in doc_types:
        path = tmp_path / f"{doc_type}.md"
        path.write_text(f"# {doc_type}\n\nContent for the reviewers.\n")
        page.select_option("#id_doc_type", doc_type)
        page.set_input_files("#id_file", str(path))
        click_and_wait(page, "button:has-text('Upload')")


@pytest.mark.slow(seconds=50)
def test_certification_journey(
    browser, live_server, shoot, staff_authenticators, tmp_path, axe_check
):
    call_command("seed_demo", "--force", stdout=io.StringIO())
    staff_authenticators("reviewer", "reviewer2", "manager", "support")
    base = live_server.url
    acme = Partner.objects.get(name="Acme")
    area = Integration.objects.get(name="Acme Analytics Workflow").product_area

    pages = {}
    for username in ("acme-admin", "acme-dev", "reviewer", "manager", "support"):
        pages[username] = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        pages[username].set_default_timeout(10_000)
        login(pages[username], live_server, username)
    admin, dev, reviewer, manager, support = (
        pages[u] for u in ("acme-admin", "acme-dev", "reviewer", "manager", "support")
    )

    # The manager notes the quota before the submission.
    manager.goto(base + reverse("manage:partner", args=[acme.pk]))
    before = major_used(manager)
    shoot(manager, "manager-quota-before")

    # 1. acme-admin registers an integration and submits it.
    admin.goto(base + reverse("portal:integration_create"))
    admin.fill("#id_name", NAME)
    admin.select_option("#id_product_area", area)
    admin.fill("#id_github_repo", "acme/journey-captions")
    admin.fill("#id_description", "Captions for the journey test.")
    shoot(admin, "integration-new")
    click_and_wait(admin, "button:has-text('Save')")
    integration = Integration.objects.get(name=NAME)
    admin.goto(base + reverse("portal:request_new", args=[integration.pk]))
    admin.fill("#id_version", "1.0.0")
    admin.select_option("#id_kind", "initial")
    admin.fill("#id_commit_sha", SHA1)
    click_and_wait(admin, "text=Save and continue")
    admin.check("#id_readme_confirmed")
    for radio in admin.locator("input[type=radio][value=yes]").all():
        radio.check()
    click_and_wait(admin, "text=Save and continue")
    upload_documents(
        admin, tmp_path, ("user_guide", "support_process", "installation_guide", "qa_guide")
    )
    click_and_wait(admin, "a:has-text('Continue')")
    click_and_wait(admin, "a:has-text('Continue')")
    shoot(admin, "request-review-step")
    click_and_wait(admin, "button:has-text('Submit for certification')")
    request = CertificationRequest.objects.get(integration=integration, version="1.0.0")
    assert request.state == "submitted"
    shoot(admin, "request-submitted")

    # 2. The reviewer assigns it, starts user testing, records a finding, requests changes.
    reviewer.goto(review_page(base, request))
    if reviewer.locator("#claim-reason").count():  # assigned automatically to someone else
        reviewer.fill("#claim-reason", "Taking it over for the journey")
    click_and_wait(reviewer, "input[type=submit][value='Assign to me']")
    transition(reviewer, "Package complete: start user testing")
    finding_form = reviewer.locator("form", has=reviewer.locator("input[value='Add finding']"))
    finding_form.locator("select[name=stage]").select_option("user_testing")
    finding_form.locator("input[name=title]").fill("Captions drift after seeking")
    finding_form.locator("textarea[name=reviewer_note]").fill("Seek to 10:00; captions lag 2 s.")
    click_and_wait(reviewer, "input[type=submit][value='Add finding']")
    transition(reviewer, "Request changes after user testing", "Please fix the caption drift.")
    request.refresh_from_db()
    assert request.state == "changes_requested"
    shoot(reviewer, "reviewer-changes-requested")

    # 3. acme-dev answers the finding.
    dev.goto(base + reverse("portal:request_detail", args=[request.pk]))
    assert "Captions drift after seeking" in dev.content()
    reply = dev.locator("form[action*='/findings/']").first
    reply.locator("textarea[name=body]").fill("Fixed in the new commit: captions resync on seek.")
    reply.locator("input[name=mark_addressed]").check()
    reply.locator("button:has-text('Reply')").click()
    dev.wait_for_load_state("networkidle")
    assert Finding.objects.get(request=request).replies.count() == 1
    shoot(dev, "developer-answered-finding")

    # 4. acme-admin resubmits.
    admin.goto(base + reverse("portal:request_detail", args=[request.pk]))
    resubmit = admin.locator("form[action$='/resubmit/']")
    resubmit.locator("input[name=commit_sha]").fill(SHA2)
    resubmit.locator("textarea[name=change_summary]").fill("Captions resync on seek.")
    resubmit.locator("button:has-text('Resubmit')").click()
    admin.wait_for_load_state("networkidle")
    request.refresh_from_db()
    assert request.state == "user_testing"
    shoot(admin, "resubmitted")

    # 5. The reviewer starts from the queue (their landing page), verifies the finding,
    # passes user testing and asks for a second approval; reviewer2 approves it from their
    # queue (the two-person rule); the reviewer certifies. Each page passes axe.
    reviewer.goto(base + "/admin/")
    assert "/queue/" in reviewer.url
    assert axe_check(reviewer) == []
    shoot(reviewer, "reviewer-queue")
    click_and_wait(reviewer, f".queue-table a:has-text('{NAME}')")
    click_and_wait(reviewer, "input[type=submit][value='Verified']")
    transition(reviewer, "User testing passed: start code review")
    click_and_wait(reviewer, "input[type=submit][value='Ask for a second approval']")
    assert axe_check(reviewer) == []
    second = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    second.set_default_timeout(10_000)
    login(second, live_server, "reviewer2")
    assert "/queue/" in second.url
    click_and_wait(second, ".queue-tabs a:has-text('All open')")
    assert axe_check(second) == []
    click_and_wait(second, f".queue-table a:has-text('{NAME}')")
    click_and_wait(second, "button:has-text('Approve the certification')")
    assert axe_check(second) == []
    shoot(second, "second-reviewer-approved")
    reviewer.reload()
    transition(reviewer, "Code review passed: certify")
    request.refresh_from_db()
    assert request.state == "certified"
    shoot(reviewer, "reviewer-certified")

    # 6. The manager sees the quota drop.
    manager.goto(base + reverse("manage:partner", args=[acme.pk]))
    assert major_used(manager) == before + 1
    shoot(manager, "manager-quota-after")

    # 7. The public verification page shows the certificate.
    certificate = Certificate.objects.get(request=request)
    public = browser.new_context().new_page()
    public.goto(base + reverse("portal:verify", args=[certificate.verification_code]))
    assert NAME in public.content()
    assert "Acme" in public.content()
    shoot(public, "public-verification")

    # 8. acme-admin opens a ticket; support routes it to the partner.
    admin.goto(base + reverse("support:ticket_new"))
    admin.select_option("#id_integration", str(integration.pk))
    admin.fill("#id_subject", "Captions missing on one entry")
    admin.fill("#id_description", "Entry 1_abc shows no captions since the update.")
    shoot(admin, "ticket-new")
    click_and_wait(admin, "button[type=submit]:has-text('Raise')")
    ticket = Ticket.objects.get(subject="Captions missing on one entry")
    support.goto(base + reverse("support_staff:ticket", args=[ticket.pk]))
    triage = support.locator("form[action$='/triage/']")
    triage.locator("#id_triage-classification").select_option("partner")
    triage.locator("#id_triage-comment").fill("This is in the partner's module.")
    triage.locator("button[type=submit]").click()
    support.wait_for_load_state("networkidle")
    ticket.refresh_from_db()
    assert ticket.classification == "partner"
    assert ticket.state == "with_partner"
    shoot(support, "support-routed-to-partner")

    # 9. acme-admin submits a minor update.
    admin.goto(base + reverse("support:update_start", args=[integration.pk]))
    admin.fill("#id_version", "1.0.1")
    admin.check("input[name=change][value=minor]")
    admin.fill("#id_change_summary", "Caption timing fix.")
    # Per document: unchanged, with the reason (issue 14).
    for doc_type in ("user_guide", "installation_guide", "qa_guide", "marketing"):
        admin.check(f"input[name=doc_{doc_type}][value=unchanged]")
        admin.fill(f"#id_why_{doc_type}", "Only caption timing changed.")
    click_and_wait(admin, "button:has-text('Show the update path')")
    shoot(admin, "update-path")
    click_and_wait(admin, "button:has-text('Start the update')")
    update = CertificationRequest.objects.get(integration=integration, version="1.0.1")
    assert update.kind == "minor"
    # The wizard opens on the details step: the new commit, the README, release notes.
    admin.fill("#id_commit_sha", SHA3)
    click_and_wait(admin, "text=Save and continue")
    admin.check("#id_readme_confirmed")
    for radio in admin.locator("input[type=radio][value=yes]").all():
        radio.check()
    click_and_wait(admin, "text=Save and continue")
    upload_documents(admin, tmp_path, ("release_notes",))
    admin.goto(base + reverse("portal:request_step", args=[update.pk, "review"]))
    shoot(admin, "update-review")
    click_and_wait(admin, "button:has-text('Submit for certification')")
    update.refresh_from_db()
    assert update.state == "submitted", admin.locator("main").inner_text()[:3000]
    shoot(admin, "update-submitted")
