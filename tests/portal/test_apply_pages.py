"""Issue 14: the public application page (no login, honeypot, per-address limit, nothing lost)
and the managers' application pages (role checks, decisions, flat query count), the direct
organisation page and adding a Partner in the admin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certportal.models import Notification
from partners import services
from partners.enums import ApplicationState
from partners.models import Partner, ProgramApplication
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

APPLY = reverse("portal:apply")
DATA = {
    "company": "Initrode",
    "website": "https://initrode.example",
    "contact_name": "Ida",
    "contact_email": "ida@initrode.example",
    "not_yet_partner": "on",
    "product_areas": ["player_plugin", "api_workflow"],
    "integration_summary": "A player plugin.",
}


def _application(n=0):
    return services.application_submit(
        **{
            **DATA,
            "company": f"Company {n}",
            "not_yet_partner": True,
            "technology_partner_id": "",
        }
    )


def test_apply_page_is_public(client):
    response = client.get(APPLY)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Apply to the certified partner program" in body
    assert 'name="fax_number"' in body  # the honeypot is in the page, hidden by the style sheet


def test_login_page_links_to_the_application(client):
    assert APPLY in client.get(reverse("login")).content.decode()


def test_honeypot_is_thanked_and_dropped(client):
    response = client.post(APPLY, {**DATA, "fax_number": "+1 555 0100"})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:apply_thanks")
    assert not ProgramApplication.objects.exists()


def test_missing_partner_track_is_a_field_error_that_keeps_input(client):
    response = client.post(APPLY, {**DATA, "not_yet_partner": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give your Technology Partner id" in body
    assert 'value="Initrode"' in body
    assert not ProgramApplication.objects.exists()


def test_per_address_limit_answers_429_and_keeps_the_form(client, settings):
    settings.APPLY_THROTTLE_LIMIT = 2
    for _ in range(2):
        assert client.post(APPLY, DATA).status_code == 302
    response = client.post(APPLY, {**DATA, "company": "Third Co"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert 'value="Third Co"' in response.content.decode()
    assert ProgramApplication.objects.count() == 2
    # Another address is not limited.
    assert client.post(APPLY, DATA, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_answer_link_tampered_is_400(client):
    assert client.get(reverse("portal:apply_answer", args=["nope"])).status_code == 400


@pytest.mark.parametrize("role", ["reviewer", "partner_admin", "support_agent"])
def test_manage_application_pages_refuse_other_roles(client, request, role):
    application = _application()
    client.force_login(request.getfixturevalue(role))
    for url in (
        reverse("manage:applications"),
        reverse("manage:application", args=[application.pk]),
        reverse("manage:partner_new"),
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert b"Company 0" not in response.content


def test_anonymous_goes_to_login(client):
    response = client.get(reverse("manage:applications"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_unknown_application_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("manage:application", args=[999999])).status_code == 404


def test_application_list_query_count_is_flat(client, manager):
    client.force_login(manager)
    _application(0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("manage:applications")).status_code == 200
    for n in range(1, 8):
        _application(n)
    with CaptureQueriesContext(connection) as many:
        body = client.get(reverse("manage:applications")).content.decode()
    assert "Company 7" in body
    assert "Player plugin, API workflow" in body or "API workflow, Player plugin" in body
    assert len(many) == len(few)


def test_decline_without_reason_is_refused_and_keeps_state(client, manager):
    application = _application()
    client.force_login(manager)
    url = reverse("manage:application", args=[application.pk])
    response = client.post(url, {"decision": "decline", "message": ""})
    assert response.status_code == 400
    assert "Give the reason" in response.content.decode()
    application.refresh_from_db()
    assert application.state == ApplicationState.RECEIVED
    page = client.get(url).content.decode()
    assert "Application received" in page  # the history says it in words, not codes
    assert "application.submit" not in page


def test_manager_creates_an_organisation_and_invites_its_admin(client, manager, partner):
    client.force_login(manager)
    url = reverse("manage:partner_new")
    response = client.post(
        url,
        {"name": partner.name, "website": "", "standing": "good", "admin_email": "a@x.example"},
    )
    assert response.status_code == 409
    assert "already exists" in response.content.decode()
    response = client.post(
        url,
        {"name": "Hooli", "website": "", "standing": "lapsed", "admin_email": "a@x.example"},
    )
    hooli = Partner.objects.get(name="Hooli")
    assert response["Location"] == reverse("manage:partner", args=[hooli.pk])
    assert hooli.standing == "lapsed"
    assert Notification.objects.filter(
        to_email="a@x.example", event="partner_first_admin_invitation"
    ).exists()


def test_superuser_adds_a_partner_in_the_admin(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:partners_partner_add")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"name": "Pied Piper", "website": "https://pp.example", "standing": "good"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    partner = Partner.objects.get(name="Pied Piper")
    assert partner.slug == "pied-piper"
