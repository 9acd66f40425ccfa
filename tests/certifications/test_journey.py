"""A whole program journey through the services: a new partner to a published listing."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from certifications import selectors, services
from certifications.enums import ProductArea, RequestState
from certifications.models import Guideline
from certportal.models import Notification
from partners import selectors as partner_selectors
from partners import services as partner_services
from reviews import services as review_services
from reviews.enums import FindingStatus
from tests.factories import PDF_BYTES, UserFactory, second_approval

pytestmark = pytest.mark.django_db


def test_new_partner_to_published_listing(manager, reviewer):
    admin = UserFactory(username="founder")
    partner = partner_services.partner_create(name="Initech", website="https://initech.example")
    partner_services.membership_add(partner=partner, user=admin, role="admin")

    # Qualification
    review = partner_services.business_review_save(
        partner=partner,
        actor=admin,
        use_cases="TPS reports",
        workflows="Upload",
        joint_solutions="Banks",
    )
    partner_services.business_review_submit(review=review, actor=admin)
    partner_services.business_review_decide(review=review, actor=manager, approve=True)
    partner_services.support_plan_save(
        partner=partner,
        actor=admin,
        partner_contact_name="P",
        partner_contact_email="p@initech.example",
        partner_contact_hours="9-5",
        technical_contact_name="T",
        technical_contact_email="t@initech.example",
        support_tool_url="https://help.initech.example",
        vendor_access_instructions="Ask P",
    )
    agreement = partner_services.agreement_request(
        partner=partner,
        actor=admin,
        legal_name="Initech LLC",
        billing_contact_name="B",
        billing_contact_email="b@initech.example",
        billing_address="Street",
    )
    partner_services.agreement_send(agreement=agreement, actor=manager, payment_instructions="Wire")
    partner_services.agreement_mark_signed(agreement=agreement, actor=manager)
    partner_services.payment_record(
        agreement=agreement,
        actor=manager,
        amount=Decimal("6500"),
        paid_on=timezone.localdate(),
        reference="INV",
    )
    agreement = partner_services.agreement_activate(agreement=agreement, actor=manager)
    assert partner_services.eligibility_check(partner=partner, quota_kind="major") == []

    # Package
    integration = services.integration_save(
        partner_id=partner.pk,
        actor=admin,
        name="Initech MediaSpace Reports",
        product_area=ProductArea.MEDIASPACE_MODULE,
        github_repo="initech/ms-reports",
    )
    request = services.request_create(integration=integration, actor=admin, version="1.0.0")
    request = services.request_update_draft(
        request=request,
        actor=admin,
        commit_sha="0123456789abcdef0123456789abcdef01234567",
        readme_confirmed=True,
        checklist={g.code: "yes" for g in Guideline.objects.all()},
    )
    for doc_type in request.required_documents():
        services.document_add(
            request=request,
            actor=admin,
            doc_type=doc_type,
            upload=SimpleUploadedFile("d.pdf", PDF_BYTES),
        )
    assert "Add the test site's admin access." in request.missing_items()
    for kind in ("ms_admin", "ms_user", "kmc"):
        services.environment_save(
            request=request,
            actor=admin,
            kind=kind,
            url="https://t.example",
            username=kind,
            password="pw-" + kind,
        )
    assert request.missing_items() == []

    # Review with a round of changes
    request = services.request_submit(request=request, actor=admin)
    request = services.request_assign(request=request, reviewer=reviewer, actor=reviewer)
    request = services.request_transition(request=request, name="intake_ok", actor=reviewer)
    finding = review_services.finding_add(
        request=request,
        actor=reviewer,
        category="security",
        severity="critical",
        title="Admin secret in page source",
        reviewer_note="Remove it",
        guideline=Guideline.objects.get(code="G02"),
    )
    request = services.request_transition(
        request=request, name="ut_changes", actor=reviewer, comment="See finding"
    )
    review_services.finding_reply(finding=finding, actor=admin, body="Removed", mark_addressed=True)
    request = services.request_transition(
        request=request,
        name="resubmit",
        actor=admin,
        comment="Removed secret",
        commit_sha="fedcba9876543210",
    )
    assert request.state == RequestState.USER_TESTING
    review_services.finding_set_status(
        finding=finding, actor=reviewer, status=FindingStatus.VERIFIED
    )
    for name in ("ut_pass", "cr_pass"):
        if name == "cr_pass":
            second_approval(request)  # the two-person rule
        request = services.request_transition(request=request, name=name, actor=reviewer)
    request = services.request_transition(request=request, name="publish", actor=manager)

    assert request.state == RequestState.PUBLISHED
    certificate = selectors.certificate_by_code(request.certificate.verification_code)
    assert certificate.commit_sha == "fedcba9876543210"
    assert integration.listing.certificate == certificate
    assert partner_selectors.quota_summary(agreement=agreement)["major"].used == 1
    assert [
        log.transition for log in selectors.timeline(request) if log.transition != "assign"
    ] == [
        "submit",
        "intake_ok",
        "ut_changes",
        "resubmit",
        "ut_pass",
        "certify_approval_asked",
        "certify_approval_approved",
        "cr_pass",
        "publish",
    ]
    subjects = list(Notification.objects.filter(recipient=admin).values_list("subject", flat=True))
    assert any("is certified" in s for s in subjects)
    assert any("published on the marketplace" in s for s in subjects)


def test_notifications_are_delivered_after_commit(
    draft,
    partner_admin,
    partner_developer,
    mailoutbox,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    from config.celery import app

    # As on a machine without REDIS_URL: tasks run in-process when the commit hook fires.
    monkeypatch.setitem(app.conf, "CELERY_TASK_ALWAYS_EAGER", True)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_submit(request=draft, actor=partner_admin)
    assert any("was submitted for certification" in m.subject for m in mailoutbox)
    # Nobody is notified of their own action: the admin who submitted gets no copy.
    submitted_to = {tuple(m.to) for m in mailoutbox if "was submitted" in m.subject}
    assert submitted_to == {(partner_developer.email,)}
    submitted = Notification.objects.filter(event="request_submit")
    assert submitted.exists()
    assert not submitted.filter(state="pending").exists()
