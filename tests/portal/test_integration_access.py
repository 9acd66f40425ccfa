"""The integration page shows where the reviewers' repository access stands."""

import pytest
from django.urls import reverse

from reviews.models import RepoAccessGrant

pytestmark = pytest.mark.django_db


def test_grants_and_their_reasons_are_shown_to_members(
    client, partner_viewer, integration, settings
):
    settings.GITHUB_TOKEN = ""
    RepoAccessGrant.objects.create(
        integration=integration, github_login="vendor-bot", state="active"
    )
    RepoAccessGrant.objects.create(
        integration=integration,
        github_login="rita-reviews",
        state="failed",
        last_error="The repository acme/captions is public; the program requires a private one.",
    )
    client.force_login(partner_viewer)
    html = client.get(reverse("portal:integration_detail", args=[integration.pk])).content.decode()
    assert "vendor-bot" in html
    assert "rita-reviews" in html
    assert "requires a private one" in html
    assert "GitHub access is not configured" in html


def test_other_tenant_cannot_see_the_grants(client, other_partner_admin, integration):
    RepoAccessGrant.objects.create(integration=integration, github_login="secret-login")
    client.force_login(other_partner_admin)
    response = client.get(reverse("portal:integration_detail", args=[integration.pk]))
    assert response.status_code == 404
    assert b"secret-login" not in response.content


def test_certified_integration_offers_update_and_support(client, partner_admin, certified):
    client.force_login(partner_admin)
    url = reverse("portal:integration_detail", args=[certified.integration_id])
    html = client.get(url).content.decode()
    assert reverse("support:update_start", args=[certified.integration_id]) in html
    assert reverse("support:integration", args=[certified.integration_id]) in html
