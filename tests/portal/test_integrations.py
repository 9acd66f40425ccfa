import pytest
from django.urls import reverse

from certifications.models import Integration

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Acme Quiz",
    "product_area": "api_workflow",
    "github_repo": "acme/quiz",
    "description": "Quizzes in videos.",
}


def test_developer_registers_integration(client, partner, partner_developer):
    client.force_login(partner_developer)
    response = client.post(reverse("portal:integration_create"), VALID)
    assert response.status_code == 302
    integration = Integration.objects.get(name="Acme Quiz")
    assert integration.partner == partner
    assert response.url == reverse("portal:integration_detail", args=[integration.pk])


def test_register_ignores_extra_fields(client, partner, partner_developer, other_partner):
    client.force_login(partner_developer)
    client.post(
        reverse("portal:integration_create"),
        {**VALID, "partner": other_partner.pk, "github_repo_id": 99},
    )
    integration = Integration.objects.get(name="Acme Quiz")
    assert integration.partner == partner
    assert integration.github_repo_id is None


def test_register_rejects_bad_repo_and_keeps_input(client, partner, partner_developer):
    client.force_login(partner_developer)
    response = client.post(
        reverse("portal:integration_create"), {**VALID, "github_repo": "not a repo"}
    )
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert b"Quizzes in videos." in response.content
    assert not Integration.objects.filter(name="Acme Quiz").exists()


def test_register_accepts_github_url(client, partner, partner_developer):
    client.force_login(partner_developer)
    client.post(
        reverse("portal:integration_create"),
        {**VALID, "github_repo": "https://github.com/acme/quiz/"},
    )
    assert Integration.objects.get(name="Acme Quiz").github_repo == "acme/quiz"


def test_duplicate_name_shows_service_message(client, integration, partner_developer):
    client.force_login(partner_developer)
    response = client.post(
        reverse("portal:integration_create"), {**VALID, "name": integration.name}
    )
    assert response.status_code == 400
    assert Integration.objects.filter(name=integration.name).count() == 1


def test_viewer_cannot_register(client, partner, partner_viewer):
    client.force_login(partner_viewer)
    assert client.post(reverse("portal:integration_create"), VALID).status_code == 403
    assert not Integration.objects.filter(name="Acme Quiz").exists()


def test_edit_integration(client, integration, partner_admin):
    client.force_login(partner_admin)
    url = reverse("portal:integration_edit", args=[integration.pk])
    assert b"acme/captions" in client.get(url).content
    response = client.post(url, {**VALID, "name": "Acme Captions 2"})
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.name == "Acme Captions 2"
    assert integration.github_repo == "acme/quiz"


def test_edit_other_tenant_is_404(client, integration, other_partner_admin):
    client.force_login(other_partner_admin)
    url = reverse("portal:integration_edit", args=[integration.pk])
    assert client.post(url, VALID).status_code == 404
    integration.refresh_from_db()
    assert integration.name == "Acme Captions"


def test_detail_lists_requests_and_certificates(client, certified, partner_viewer):
    client.force_login(partner_viewer)
    url = reverse("portal:integration_detail", args=[certified.integration_id])
    body = client.get(url).content.decode()
    assert "3.0.0" in body
    assert certified.certificate.verification_code in body


def test_list_empty_state_and_pagination(client, partner, partner_viewer):
    client.force_login(partner_viewer)
    assert (
        b"No integrations registered yet" in client.get(reverse("portal:integration_list")).content
    )
    Integration.objects.bulk_create(
        Integration(partner=partner, name=f"I{n:02}", product_area="other", github_repo="a/b")
        for n in range(25)
    )
    page2 = client.get(reverse("portal:integration_list"), {"page": 2}).content.decode()
    assert "I24" in page2 and "I00" not in page2
    assert "Page 2 of 2" in page2
