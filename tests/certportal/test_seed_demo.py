import io

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from certportal.models import UserProfile
from devtools.management.commands.seed_demo import DEMO_USERS

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label
        in {"auth", "certportal", "partners", "certifications", "reviews", "support"}
    }


def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    settings.GITHUB_TOKEN = ""
    call_command("seed_demo", stdout=io.StringIO())
    first = _counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first
    assert first["auth.User"] == len(DEMO_USERS)
    # The demo reviewers have GitHub logins, so the access panels show real rows (issue 14).
    from reviews.models import RepoAccessGrant

    assert UserProfile.objects.get(user__username="reviewer").github_login == "rita-reviews"
    assert RepoAccessGrant.objects.filter(github_login="rita-reviews").exists()


def test_seed_demo_users_log_in_with_demo_password(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    # django-axes checks every authenticate() call against a request.
    request = RequestFactory().post("/accounts/login/")
    assert client.login(request=request, username="acme-admin", password="demo")
    reviewer = User.objects.get(username="reviewer")
    assert reviewer.is_staff
    assert reviewer.groups.filter(name="Reviewer").exists()
    assert not User.objects.get(username="acme-admin").is_staff


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refusing with DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.filter(username="acme-admin").exists()
