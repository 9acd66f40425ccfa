"""Issue 14, item 4: the integration page names every GitHub account that gets access,
its live state and what the partner must do when access is not automatic; reviewers set
their own GitHub login on the back office's profile page, checked against (fake) GitHub."""

import pytest
from django.urls import reverse

from certifications import services as cert_services
from certportal.models import UserProfile
from reviews.models import GrantState, RepoAccessGrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned(draft, partner_admin, reviewer):
    UserProfile.objects.update_or_create(user=reviewer, defaults={"github_login": "rita-gh"})
    request = cert_services.request_submit(request=draft, actor=partner_admin)
    return cert_services.request_assign(request=request, reviewer=reviewer, actor=reviewer)


def _access_html(client, user, integration_id):
    client.force_login(user)
    html = client.get(reverse("portal:integration_detail", args=[integration_id])).content
    html = html.decode()
    return html[html.index('id="access-h"') :]


def test_panel_lists_accounts_and_the_manual_steps_without_github(
    client, settings, assigned, partner_viewer
):
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_REVIEWER_LOGINS = ["vendor-bot"]
    RepoAccessGrant.objects.create(
        integration=assigned.integration, github_login="old-reviewer", state=GrantState.REVOKED
    )
    html = _access_html(client, partner_viewer, assigned.integration_id)
    assert "GitHub access is not configured" in html
    for login, who in (("vendor-bot", "Vendor reviewer account"), ("rita-gh", "Assigned reviewer")):
        assert f'>{login}</a></td>\n    <td data-label="Who">{who}</td>' in html
    assert ">Removed</span>" in html  # the earlier reviewer's revoked grant
    todo = html[html.index("What you need to do") :]
    assert "Settings → Collaborators" in todo
    assert "<code>rita-gh</code>, <code>vendor-bot</code>" in todo
    assert "old-reviewer" not in todo


def test_failed_grant_shows_the_reason_and_what_to_do(
    client, settings, fake_github, assigned, partner_viewer
):
    settings.GITHUB_REVIEWER_LOGINS = []
    RepoAccessGrant.objects.update_or_create(
        integration=assigned.integration,
        github_login="rita-gh",
        defaults={
            "state": GrantState.FAILED,
            "last_error": "The repository acme/captions is public; make it private.",
        },
    )
    html = _access_html(client, partner_viewer, assigned.integration_id)
    assert "GitHub access is not configured" not in html
    assert ">Failed</span>" in html and "make it private" in html
    assert "GitHub refused access for the accounts below" in html
    assert "<code>rita-gh</code>" in html


def test_reviewer_sets_github_login_checked_against_github(client, fake_github, reviewer):
    fake_github.mark_user_missing("nobody-here")
    client.force_login(reviewer)
    url = reverse("staff_profile")
    assert "Your GitHub login" in client.get(url).content.decode()
    response = client.post(url, {"github_login": "nobody-here"})
    assert response.status_code == 400
    assert "GitHub has no user &#x27;nobody-here&#x27;" in response.content.decode()
    assert client.post(url, {"github_login": "-bad-"}).status_code == 400
    response = client.post(url, {"github_login": "@Rita-GH"})
    assert response.status_code == 302
    assert UserProfile.objects.get(user=reviewer).github_login == "Rita-GH"
    assert fake_github.calls["GET /users/{login}"] >= 2


def test_profile_page_is_staff_only(client, partner_admin):
    client.force_login(partner_admin)
    response = client.post(reverse("staff_profile"), {"github_login": "x"})
    assert response.status_code in (302, 403)
    assert not UserProfile.objects.filter(user=partner_admin, github_login="x").exists()
