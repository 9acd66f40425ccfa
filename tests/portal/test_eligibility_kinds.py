"""Issue 14 item 3: eligibility per kind of request. With a kind's quota used up, neither the
dashboard nor the wizard says "Ready" or offers Submit for it; they give the reason and the
way out (ask the partner team for extra quota — a request that reaches the managers — or
renew). Other kinds stay ready."""

import pytest
from django.urls import reverse

from certifications.enums import RequestKind, RequestState
from certportal.models import AuditEvent, Notification
from partners import services as partner_services
from tests.factories import draft_request, qualify

pytestmark = pytest.mark.django_db

SUBMIT_BUTTON = "Submit for certification"


@pytest.fixture
def no_major(partner, partner_admin, manager):
    """Partner A qualified, with an agreement that includes no major certifications."""
    return qualify(partner, manager=manager, major=0, minor=6)


def test_per_quota_service_reports_each_kind(partner, no_major):
    per_quota = partner_services.eligibility_per_quota(partner=partner)
    assert per_quota[None] == []
    assert per_quota["minor"] == []
    assert [u.code for u in per_quota["major"]] == ["quota_major"]
    assert per_quota["major"][0].fix_url_name == "portal:quota_request"


def test_dashboard_says_which_kinds_are_ready(client, partner_admin, no_major):
    client.force_login(partner_admin)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert "Your organisation meets every program requirement" not in body
    major_row = body.split("Initial certifications and major updates")[1].split("</li>")[0]
    assert "No major certifications are left" in major_row
    assert "Ready" not in major_row
    assert reverse("portal:quota_request") in major_row
    assert reverse("portal:agreement") in major_row
    minor_row = body.split("<strong>Minor updates</strong>")[1].split("</li>")[0]
    assert "meets every program requirement" in minor_row


@pytest.mark.parametrize(
    ("kind", "major", "minor", "submittable"),
    [
        (RequestKind.INITIAL, 0, 6, False),
        (RequestKind.MAJOR, 0, 6, False),
        (RequestKind.MINOR, 4, 0, False),
        (RequestKind.MINOR, 0, 6, True),
        (RequestKind.DOCS, 0, 0, True),
    ],
)
def test_wizard_offers_submit_only_with_quota_for_the_kind(
    client, partner, partner_admin, manager, integration, kind, major, minor, submittable
):
    qualify(partner, manager=manager, major=major, minor=minor)
    req = draft_request(integration, actor=partner_admin, kind=kind)
    client.force_login(partner_admin)
    body = client.get(reverse("portal:request_step", args=[req.pk, "review"])).content.decode()
    assert (SUBMIT_BUTTON in body) is submittable
    assert ("Ask for extra quota" in body) is not submittable
    response = client.post(reverse("portal:request_submit", args=[req.pk]))
    req.refresh_from_db()
    if submittable:
        assert req.state == RequestState.SUBMITTED
    else:
        assert response.status_code == 400
        assert "certifications are left" in response.content.decode()
        assert req.state == RequestState.DRAFT
        assert SUBMIT_BUTTON not in response.content.decode()


def test_asking_for_extra_quota_reaches_the_managers(
    client, partner, partner_admin, no_major, manager
):
    client.force_login(partner_admin)
    url = reverse("portal:quota_request")
    page = client.get(url, {"kind": "major", "next": "/portal/"})
    assert page.status_code == 200
    empty = client.post(url, {"kind": "major", "reason": ""})
    assert empty.status_code == 400
    response = client.post(
        url, {"kind": "major", "reason": "Version 2.0 for a launch", "next": "/portal/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    note = Notification.objects.get(recipient=manager, event="quota_requested")
    assert "extra major quota" in note.subject
    assert "Version 2.0 for a launch" in note.body_text
    assert note.link == reverse("manage:partner", args=[partner.pk])
    event = AuditEvent.objects.get(action="quota.request")
    assert (event.actor, event.partner_id, event.data) == (
        partner_admin,
        partner.pk,
        {"kind": "major"},
    )
    # The manager sees it in words on the partner's page.
    client.force_login(manager)
    manage = client.get(reverse("manage:partner", args=[partner.pk])).content.decode()
    assert "Extra quota requested" in manage


def test_only_admins_ask_for_extra_quota(client, partner_developer, no_major):
    client.force_login(partner_developer)
    response = client.post(reverse("portal:quota_request"), {"kind": "major", "reason": "x"})
    assert response.status_code == 403
    assert not Notification.objects.filter(event="quota_requested").exists()


def test_offsite_next_is_ignored(client, partner_admin, no_major):
    client.force_login(partner_admin)
    response = client.post(
        reverse("portal:quota_request"),
        {"kind": "minor", "reason": "x", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("portal:dashboard")
