"""Issue 14: a company joins the program with a browser only (the Django test client through
the real pages), from "Apply to the certified partner program" to a published certification.

The partner's steps and the manager's decisions are posted to their pages; the reviewer's
steps (which have their own tested pages in the back office) use the services."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certifications import services as cert_services
from certifications.enums import RequestState
from certifications.models import CertificationRequest, Guideline
from certportal.models import Notification
from partners.enums import ApplicationState, MemberRole
from partners.models import Agreement, Membership, Partner, ProgramApplication
from tests.factories import PDF_BYTES, certify

pytestmark = pytest.mark.django_db

APPLICATION = {
    "company": "Initrode",
    "website": "https://initrode.example",
    "contact_name": "Ida Initrode",
    "contact_email": "ida@initrode.example",
    "technology_partner_id": "TP-4711",
    "product_areas": ["api_workflow"],
    "integration_summary": "Captions for every entry, ordered from the platform's REST API.",
}


def _ok(response, status=302):
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def _manage(client, partner, action, **data):
    return _ok(
        client.post(reverse("manage:partner", args=[partner.pk]), {"action": action, **data})
    )


def test_apply_to_published_certification_through_the_pages(manager, reviewer):
    visitor = Client()

    # 1. Apply, with no account. A bad field keeps everything typed.
    assert visitor.get(reverse("portal:apply")).status_code == 200
    bad = visitor.post(reverse("portal:apply"), {**APPLICATION, "contact_email": "not-an-address"})
    assert bad.status_code == 400
    assert "Captions for every entry" in bad.content.decode()
    _ok(visitor.post(reverse("portal:apply"), APPLICATION))
    application = ProgramApplication.objects.get(company="Initrode")
    assert application.state == ApplicationState.RECEIVED
    assert Notification.objects.filter(recipient=manager, event="application_received").exists()

    # 2. The manager asks for more; the applicant answers through the e-mailed link.
    staff = Client()
    staff.force_login(manager)
    listing = staff.get(reverse("manage:applications")).content.decode()
    assert "Initrode" in listing
    detail = reverse("manage:application", args=[application.pk])
    _ok(staff.post(detail, {"decision": "request_info", "message": "Which regions?"}))
    asked = Notification.objects.get(to_email="ida@initrode.example", event="application_more_info")
    assert "Which regions?" in asked.body_text
    answer_path = re.search(r"https?://[^/]+(/apply/answer/\S+/)", asked.body_text).group(1)
    _ok(visitor.post(answer_path, {"reply": "Europe and North America."}))
    application.refresh_from_db()
    assert application.state == ApplicationState.RECEIVED
    assert application.applicant_reply == "Europe and North America."

    # 3. Accepted: the organisation exists with the standing the manager chose, and its
    #    contact is invited as the first admin.
    _ok(staff.post(detail, {"decision": "accept", "partner_name": "Initrode", "standing": "good"}))
    application.refresh_from_db()
    partner = Partner.objects.get(name="Initrode")
    assert application.state == ApplicationState.ACCEPTED
    assert application.partner == partner
    assert application.decided_by == manager
    invitation = Notification.objects.get(
        to_email="ida@initrode.example", event="partner_first_admin_invitation"
    )
    invite_path = re.search(r"https?://[^/]+(/portal/invitations/\S+/)", invitation.body_text)

    # 4. The invited contact signs up with their name.
    founder = Client()
    _ok(
        founder.post(
            invite_path.group(1),
            {
                "first_name": "Ida",
                "last_name": "Initrode",
                "username": "ida",
                "password1": "A-long-pass-phrase-1",
                "password2": "A-long-pass-phrase-1",
            },
        )
    )
    member = Membership.objects.select_related("user").get(partner=partner)
    assert member.role == MemberRole.ADMIN
    assert (member.user.first_name, member.user.last_name) == ("Ida", "Initrode")
    assert member.user.email == "ida@initrode.example"

    # 5. Qualification: business review, support plan and agreement, from the portal; the
    #    manager decides and runs the agreement on the partner's page.
    _ok(
        founder.post(
            reverse("portal:business_review"),
            {
                "use_cases": "Captions",
                "workflows": "Order on upload",
                "joint_solutions": "Universities",
                "action": "submit",
            },
        )
    )
    _ok(
        founder.post(
            reverse("portal:support_plan"),
            {
                "partner_contact_name": "Ida",
                "partner_contact_email": "support@initrode.example",
                "partner_contact_hours": "Mon-Fri 9-17 CET",
                "technical_contact_name": "Tom",
                "technical_contact_email": "tech@initrode.example",
                "support_tool_url": "https://help.initrode.example",
                "vendor_access_instructions": "Ask Ida for an agent seat.",
                "response_critical_hours": 4,
                "response_high_hours": 8,
                "response_normal_hours": 24,
                "response_low_hours": 72,
            },
        )
    )
    _ok(
        founder.post(
            reverse("portal:agreement"),
            {
                "legal_name": "Initrode GmbH",
                "billing_contact_name": "Bea",
                "billing_contact_email": "billing@initrode.example",
                "billing_address": "1 Main Street",
            },
        )
    )
    _manage(staff, partner, "review", decision="approve", comment="")
    agreement = Agreement.objects.get(partner=partner)
    _manage(staff, partner, "send", agreement=agreement.pk, payment_instructions="Wire to X")
    _manage(staff, partner, "mark_signed", agreement=agreement.pk)
    _manage(
        staff,
        partner,
        "payment",
        agreement=agreement.pk,
        amount="6500.00",
        paid_on=timezone.localdate().isoformat(),
        reference="INV-1",
    )
    _manage(staff, partner, "activate", agreement=agreement.pk)
    dashboard = founder.get(reverse("portal:dashboard")).content.decode()
    assert "Missing" not in dashboard

    # 6. The integration and its first request, through the wizard.
    _ok(
        founder.post(
            reverse("portal:integration_create"),
            {
                "name": "Initrode Captions",
                "product_area": "api_workflow",
                "github_repo": "initrode/captions",
                "description": "",
            },
        )
    )
    integration = partner.integrations.get()
    _ok(
        founder.post(
            reverse("portal:request_new", args=[integration.pk]),
            {"version": "1.0.0", "kind": "initial", "commit_sha": "0123456789abcdef"},
        )
    )
    req = CertificationRequest.objects.get(integration=integration)
    step = lambda name: reverse("portal:request_step", args=[req.pk, name])  # noqa: E731
    checklist = {"readme_confirmed": "on"}
    checklist.update({f"g_{g.code}": "yes" for g in Guideline.objects.filter(active=True)})
    _ok(founder.post(step("checklist"), checklist))
    for doc_type in req.required_documents():
        upload = SimpleUploadedFile(f"{doc_type}.pdf", PDF_BYTES, content_type="application/pdf")
        _ok(founder.post(step("documents"), {"doc_type": doc_type, "file": upload}))
    environments = founder.get(step("environments")).content.decode()
    assert "Please correct" not in environments
    _ok(
        founder.post(
            step("environments"),
            {
                "action": "add",
                "kind": "kmc",
                "url": "https://kmc.initrode.example",
                "username": "reviewer@initrode.example",
                "password": "Kmc-Pass-1",
            },
        )
    )
    review = founder.get(step("review")).content.decode()
    assert "Submit for certification" in review
    _ok(founder.post(reverse("portal:request_submit", args=[req.pk])))
    req.refresh_from_db()
    assert req.state == RequestState.SUBMITTED

    # 7. Review (back-office steps, as services) and publication.
    req = cert_services.request_assign(request=req, reviewer=reviewer, actor=reviewer)
    for name in ("intake_ok", "ut_pass"):
        req = cert_services.request_transition(request=req, name=name, actor=reviewer)
    req = certify(req, reviewer=reviewer)  # with the two-person rule's second approval
    req = cert_services.request_transition(request=req, name="publish", actor=manager)
    assert req.state == RequestState.PUBLISHED
    page = founder.get(reverse("portal:request_detail", args=[req.pk])).content.decode()
    assert "Published" in page
