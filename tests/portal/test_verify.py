import pytest
from django.test import Client
from django.urls import reverse

from partners import services as partner_services

pytestmark = pytest.mark.django_db


def test_verify_is_public(certified):
    code = certified.certificate.verification_code
    response = Client().get(reverse("portal:verify", args=[code]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Acme Test" in body
    assert "Acme MediaSpace Module" in body
    assert "3.0.0" in body
    assert certified.commit_sha in body
    assert "Superseded</dt><dd>No" in body
    assert "Partner agreement</dt><dd>Active" in body


def test_verify_shows_superseded_and_inactive_agreement(
    certified, partner_admin, reviewer, manager
):
    from certifications import services
    from tests.factories import draft_request, second_approval

    newer = draft_request(certified.integration, actor=partner_admin, version="3.1.0")
    newer = services.request_submit(request=newer, actor=partner_admin)
    newer = services.request_assign(request=newer, reviewer=reviewer, actor=reviewer)
    for name in ("intake_ok", "ut_pass", "cr_pass"):
        if name == "cr_pass":
            second_approval(newer)  # the two-person rule
        newer = services.request_transition(request=newer, name=name, actor=reviewer)
    agreement = certified.integration.partner.agreements.get(state="active")
    partner_services.agreement_cancel(agreement=agreement, actor=manager, reason="Test")
    body = (
        Client()
        .get(reverse("portal:verify", args=[certified.certificate.verification_code]))
        .content.decode()
    )
    assert "Yes, by version 3.1.0" in body
    assert "Partner agreement</dt><dd>Not active" in body


def test_verify_unknown_code_404(db):
    assert Client().get(reverse("portal:verify", args=["nope"])).status_code == 404
