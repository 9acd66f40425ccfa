import pytest
from django.contrib.auth.models import Group, User

from certportal import roles

pytestmark = pytest.mark.django_db


def test_staff_role_groups_exist_after_migrations():
    names = set(Group.objects.values_list("name", flat=True))
    assert {"Reviewer", "Partner manager", "Support agent"} <= names


@pytest.mark.parametrize("path", ["/", "/admin/"])
def test_pages_redirect_anonymous_users_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_login_page_renders_accessibly(client):
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    assert 'class="skip-link" href="#main"' in html
    assert "<title>Sign in" in html
    assert "cdn" not in html.lower()


def test_login_logout_round_trip(client):
    User.objects.create_user("pat", password="s3cret-pass-123")
    response = client.post(
        "/accounts/login/", {"username": "pat", "password": "s3cret-pass-123"}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"].is_authenticated
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_wrong_password_keeps_username_and_shows_error(client):
    User.objects.create_user("pat", password="s3cret-pass-123")
    response = client.post("/accounts/login/", {"username": "pat", "password": "nope"})
    html = response.content.decode()
    assert "did not match" in html
    assert 'value="pat"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/done/",
    ],
)
def test_password_reset_pages_are_public(client, path):
    assert client.get(path).status_code == 200


def test_password_change_requires_login_and_renders(client):
    assert client.get("/accounts/password_change/").status_code == 302
    user = User.objects.create_user("pat", password="s3cret-pass-123")
    client.force_login(user)
    response = client.get("/accounts/password_change/")
    assert response.status_code == 200
    assert "Change your password" in response.content.decode()


def test_password_reset_sends_mail(client, mailoutbox):
    User.objects.create_user("pat", email="pat@example.com", password="s3cret-pass-123")
    client.post("/accounts/password_reset/", {"email": "pat@example.com"})
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


def test_role_predicates_follow_groups():
    user = User.objects.create_user("rita", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.REVIEWER))
    assert roles.is_reviewer(user)
    assert not roles.is_partner_manager(user)
    assert roles.is_vendor_staff(user)
    outsider = User.objects.create_user("nobody")
    outsider.groups.add(Group.objects.get(name=roles.REVIEWER))
    assert not roles.is_reviewer(outsider), "a group alone without is_staff is not a role"


def test_static_assets_are_shipped_locally():
    from django.contrib.staticfiles import finders

    assert finders.find("css/portal.css")
    assert finders.find("js/htmx.min.js")


def test_home_sends_each_person_to_their_workspace(
    client, partner_viewer, reviewer, manager, support_agent
):
    for user, target in (
        (partner_viewer, "/portal/"),
        (reviewer, "/admin/certifications/certificationrequest/queue/"),  # the review queue
        (manager, "/manage/"),
        (support_agent, "/manage/support/"),
    ):
        client.force_login(user)
        response = client.get("/")
        assert response.status_code == 302, user
        assert response["Location"] == target
        client.logout()


def test_home_offers_a_choice_to_people_with_several_workspaces(client, partner, reviewer):
    from partners.models import Membership

    Membership.objects.create(user=reviewer, partner=partner, role="viewer")
    client.force_login(reviewer)
    response = client.get("/")
    assert response.status_code == 200
    assert "Choose where to work" in response.content.decode()


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/portal/requests/", True),
        ("/manage/?q=acme", True),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("javascript:alert(1)", False),
        ("evil.example/portal/", False),
        ("../admin/", False),
    ],
)
def test_safe_next_keeps_only_a_path_on_this_site(rf, given, kept):
    from certportal.auth import safe_next

    request = rf.get("/accounts/login/", {"next": given})
    assert (safe_next(request, default="/fallback/") == given) is kept
