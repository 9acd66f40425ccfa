import pytest
from django.urls import reverse

from partners.enums import AgreementState, BusinessReviewState
from partners.models import Agreement, BusinessReview, SupportPlan

pytestmark = pytest.mark.django_db

AGREEMENT = {
    "legal_name": "Acme Test Ltd",
    "billing_contact_name": "Bill",
    "billing_contact_email": "bill@acme.example",
    "billing_address": "1 Road",
    "purchase_order": "PO-1",
    "notes": "",
}
REVIEW = {"use_cases": "Captions", "workflows": "Upload", "joint_solutions": "Universities"}
PLAN = {
    "partner_contact_name": "Esc",
    "partner_contact_email": "esc@acme.example",
    "partner_contact_hours": "9-17",
    "technical_contact_name": "Tech",
    "technical_contact_email": "tech@acme.example",
    "support_tool_url": "https://support.acme.example",
    "vendor_access_instructions": "Ask us",
    "response_critical_hours": 4,
    "response_high_hours": 8,
    "response_normal_hours": 24,
    "response_low_hours": 72,
}


def test_admin_requests_agreement(client, partner, partner_admin):
    client.force_login(partner_admin)
    response = client.post(reverse("portal:agreement"), {**AGREEMENT, "state": "active", "fee": 1})
    assert response.status_code == 302
    agreement = Agreement.objects.get(partner=partner)
    assert agreement.state == AgreementState.REQUESTED
    assert agreement.legal_name == "Acme Test Ltd"
    assert str(agreement.fee) != "1.00"


def test_second_request_conflict_keeps_input(client, partner, partner_admin):
    client.force_login(partner_admin)
    client.post(reverse("portal:agreement"), AGREEMENT)
    response = client.post(reverse("portal:agreement"), {**AGREEMENT, "notes": "typed note"})
    assert response.status_code == 409
    assert b"already" in response.content
    assert b"typed note" in response.content
    assert Agreement.objects.filter(partner=partner).count() == 1


def test_agreement_page_shows_payment_instructions(client, eligible_partner, partner_viewer):
    client.force_login(partner_viewer)
    body = client.get(reverse("portal:agreement")).content.decode()
    assert "Wire to IBAN XX00 0000" in body
    assert "Request agreement" not in body


def test_viewer_cannot_request_agreement(client, partner, partner_viewer):
    client.force_login(partner_viewer)
    assert client.post(reverse("portal:agreement"), AGREEMENT).status_code == 403
    assert not Agreement.objects.exists()


def test_invalid_agreement_form_shows_errors(client, partner, partner_admin):
    client.force_login(partner_admin)
    response = client.post(reverse("portal:agreement"), {**AGREEMENT, "billing_contact_email": "x"})
    assert response.status_code == 200
    assert b"error-summary" in response.content


def test_business_review_save_then_submit(client, partner, partner_admin):
    client.force_login(partner_admin)
    assert (
        client.post(reverse("portal:business_review"), {**REVIEW, "action": "save"}).status_code
        == 302
    )
    assert BusinessReview.objects.get(partner=partner).state == BusinessReviewState.DRAFT
    client.post(reverse("portal:business_review"), {**REVIEW, "action": "submit"})
    review = BusinessReview.objects.get(partner=partner)
    assert review.state == BusinessReviewState.SUBMITTED
    body = client.get(reverse("portal:business_review")).content.decode()
    assert "Submit for approval" not in body
    response = client.post(reverse("portal:business_review"), {**REVIEW, "action": "save"})
    assert response.status_code == 409


def test_developer_cannot_edit_business_review(client, partner, partner_developer):
    client.force_login(partner_developer)
    assert client.post(reverse("portal:business_review"), REVIEW).status_code == 403
    assert not BusinessReview.objects.exists()


def test_support_plan_save_and_edit(client, partner, partner_admin):
    client.force_login(partner_admin)
    assert client.post(reverse("portal:support_plan"), PLAN).status_code == 302
    client.post(reverse("portal:support_plan"), {**PLAN, "partner_contact_name": "New"})
    assert SupportPlan.objects.get(partner=partner).partner_contact_name == "New"
    assert b'value="New"' in client.get(reverse("portal:support_plan")).content


def test_support_plan_missing_fields(client, partner, partner_admin):
    client.force_login(partner_admin)
    response = client.post(reverse("portal:support_plan"), {**PLAN, "support_tool_url": ""})
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert not SupportPlan.objects.exists()


def test_viewer_cannot_save_support_plan(client, partner, partner_viewer):
    client.force_login(partner_viewer)
    assert client.post(reverse("portal:support_plan"), PLAN).status_code == 403
