"""Sessions and logins (SECURITY-CHECKS rows 7, 8, 9, 10, 12, 13): session rotation, logout,
password change ending other sessions, cookie flags, lockout after failed logins, argon2."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.certportal.test_settings import FIELD_KEY, PROD_KEY, settings_value
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Corr3ct-horse-battery"


@pytest.fixture
def walker(db):
    return UserFactory(username="walker", password=PASSWORD)


def form_login(client, username="walker", password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def session_cookie(client):
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def test_row7_session_key_changes_at_login(client, walker):
    session = client.session
    session["before-login"] = True
    session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
    before = session.session_key
    response = form_login(client)
    assert response.status_code == 302
    assert session_cookie(client) != before
    assert client.get(reverse("home")).status_code == 200


def test_row8_old_cookie_replayed_after_logout_redirects_to_login(client, walker):
    form_login(client)
    old = session_cookie(client)
    assert client.get(reverse("portal:dashboard")).status_code != 302
    assert client.post(reverse("logout")).status_code == 302
    replay = Client()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = old
    response = replay.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_row9_password_change_ends_other_sessions(walker):
    laptop, phone = Client(), Client()
    form_login(laptop)
    form_login(phone)
    assert phone.get(reverse("home")).status_code == 200
    response = laptop.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "An0ther-long-passphrase",
            "new_password2": "An0ther-long-passphrase",
        },
    )
    assert response.status_code == 302
    # The session that changed the password stays signed in; every other one is ended.
    assert laptop.get(reverse("home")).status_code == 200
    stale = phone.get(reverse("home"))
    assert stale.status_code == 302
    assert stale.url.startswith(reverse("login"))


def test_password_validators_refuse_weak_passwords(client, walker):
    assert len(django_settings.AUTH_PASSWORD_VALIDATORS) >= 4
    form_login(client)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode()


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": PROD_KEY,
    "ALLOWED_HOSTS": "testserver",
    "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
}


def test_row10_session_cookie_is_host_prefixed_secure_httponly_samesite(settings, walker):
    """Apply the cookie settings production computes, then look at the real Set-Cookie."""
    names = (
        "SESSION_COOKIE_NAME",
        "CSRF_COOKIE_NAME",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SAMESITE",
    )
    values = eval(settings_value(", ".join(f"s.{n}" for n in names), **PRODUCTION))  # noqa: S307 - repr of our own settings
    for name, value in zip(names, values, strict=True):
        setattr(settings, name, value)
    client = Client()
    login_page = client.get(reverse("login"), secure=True)
    csrf = login_page.cookies["__Host-csrftoken"]
    assert csrf["secure"]
    assert csrf["path"] == "/"
    assert not csrf["domain"]
    response = client.post(
        reverse("login"), {"username": "walker", "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    cookie = response.cookies["__Host-sessionid"]
    assert cookie["secure"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    assert "sessionid" not in response.cookies


def test_row12_nth_failed_login_locks_the_account(client, walker):
    limit = django_settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = form_login(client, password="wrong-password")
        assert response.status_code == 200
        assert "did not match" in response.content.decode()
    response = form_login(client, password="wrong-password")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Account locked" in html
    assert f"after {limit} failed sign-in attempts" in html
    minutes = int(django_settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"Try again in {minutes} minutes" in html
    # The right password no longer signs in while the lock lasts, from anywhere.
    other = Client(REMOTE_ADDR="10.9.8.7")
    locked = form_login(other)
    assert locked.status_code == 429
    assert "_auth_user_id" not in other.session


def test_row12_lock_expires_after_cooloff(client, walker, time_machine):
    time_machine.move_to(timezone.now(), tick=True)
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        form_login(client, password="wrong-password")
    assert form_login(client).status_code == 429
    time_machine.shift(django_settings.AXES_COOLOFF_TIME.total_seconds() + 60)
    assert form_login(client).status_code == 302


def test_row12_success_resets_the_failure_count(client, walker):
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        form_login(client, password="wrong-password")
    assert form_login(client).status_code == 302
    client.post(reverse("logout"))
    assert form_login(client, password="wrong-password").status_code == 200


def test_row13_stored_hash_is_argon2id(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = get_user_model().objects.create_user("hashed", password=PASSWORD)
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)
    assert settings_value("s.PASSWORD_HASHERS[0]", **PRODUCTION) == (
        "'django.contrib.auth.hashers.Argon2PasswordHasher'"
    )
