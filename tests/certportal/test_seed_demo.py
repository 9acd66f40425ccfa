import io

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from certportal.models import UserProfile
from devtools.demo_history import HISTORY
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


def test_seed_demo_backdates_a_year_of_history(settings):
    from devtools.demo import _package
    from devtools.demo_history import seed_history
    from devtools.management.commands.seed_demo import Command
    from partners.enums import AgreementState
    from partners.models import Agreement
    from reviews import metrics

    settings.DEBUG = True
    settings.DEMO_HISTORY = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    users = Command()._users()
    seed_history(users=users, package=_package)
    first = _counts()
    seed_history(users=users, package=_package)
    assert _counts() == first  # idempotent
    # one admin per history partner, who never signs in
    assert first["auth.User"] == len(DEMO_USERS) + len(HISTORY)
    assert not User.objects.get(username="initech-admin").has_usable_password()
    states = set(Agreement.objects.values_list("state", flat=True))
    assert states == set(AgreementState.values)
    data = metrics.all_metrics()
    stays = {s.group: s for s in data["stage_times"]}
    assert stays["user_testing"].median_days > 1  # days to weeks, not the same second
    assert data["sla_breaches"]
    assert data["bounce_rounds"][0].numerator > 0
    assert sum(n for _m, n in data["per_month"]) >= 8
    months = {m for m, n in data["per_month"] if n}
    assert len(months) >= 5


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
