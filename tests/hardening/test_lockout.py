"""Sign-in lockout behind a proxy (issue 20, item 3; SECURITY-CHECKS row 12, ASVS 2.2.1).

The lock is per username (and per username and address), never per address alone, so
made-up usernames from one address lock out nobody real; the client address comes from
X-Forwarded-For only through TRUSTED_PROXY_COUNT proxies; a slower per-address throttle
answers 429 with Retry-After but never refuses a correct password; and the lockout, the
credential-reveal audit and the security log all record the same address."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from certifications.models import CredentialReveal
from certportal.client_address import client_ip
from tests.factories import UserFactory
from tests.security.conftest import CANARIES, build_world

pytestmark = pytest.mark.django_db

PASSWORD = "Corr3ct-horse-battery"
PROXY = "10.0.0.2"  # the documented TLS proxy, as the app sees it (REMOTE_ADDR)
CLIENT = "198.51.100.23"  # the real visitor, as the proxy appends it
SPOOFED = "203.0.113.200"  # what a visitor writes into X-Forwarded-For themselves


@pytest.fixture
def walker(db):
    return UserFactory(username="walker", password=PASSWORD)


def sign_in(client: Client, username: str = "walker", password: str = PASSWORD, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def via_proxy(forwarded_for: str = CLIENT) -> dict[str, str]:
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded_for}


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- The client address -------------------------------------------------------------------


def meta_request(**meta: str):
    return RequestFactory().get("/", **meta)


def test_client_ip_ignores_forwarded_for_without_a_trusted_proxy(settings):
    """Spoofing: with TRUSTED_PROXY_COUNT=0 (the default) anyone may send the header, so it
    is never read."""
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(meta_request(**via_proxy(f"{SPOOFED}, {CLIENT}"))) == PROXY


def test_client_ip_takes_forwarded_for_through_one_trusted_proxy(settings):
    """The proxy appends the address it saw; whatever the visitor wrote further left is not
    believed."""
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(meta_request(**via_proxy(CLIENT))) == CLIENT
    assert client_ip(meta_request(**via_proxy(f"{SPOOFED}, {CLIENT}"))) == CLIENT


@pytest.mark.parametrize(
    ("count", "forwarded_for", "expected"),
    [
        (2, f"{SPOOFED}, {CLIENT}, 192.0.2.9", CLIENT),  # CDN, then our proxy
        (2, CLIENT, PROXY),  # fewer hops than trusted proxies: not through all of them
        (1, "not-an-address", PROXY),
        (1, "", PROXY),
        (1, "198.51.100.23:51234", CLIENT),  # a proxy that adds the port
        (1, "[2001:db8::7]:443", "2001:db8::7"),
        (1, "::ffff:198.51.100.23", CLIENT),  # IPv4-mapped: one client, one spelling
    ],
)
def test_client_ip_reads_the_nth_hop_from_the_right(settings, count, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(meta_request(**via_proxy(forwarded_for))) == expected


def test_client_ip_is_none_without_a_usable_address(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(meta_request(REMOTE_ADDR="")) is None
    assert client_ip(meta_request(REMOTE_ADDR="unix:/run/gunicorn.sock")) is None


@pytest.mark.parametrize(("count", "recorded"), [(0, PROXY), (1, CLIENT)])
def test_lockout_records_the_same_client_address(settings, walker, count, recorded):
    """django-axes resolves the address through certportal.client_address too."""
    settings.TRUSTED_PROXY_COUNT = count
    sign_in(Client(), password="wrong", **via_proxy(f"{SPOOFED}, {CLIENT}"))
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [recorded]


# --- Locks: per username, never per address ----------------------------------------------


def test_made_up_usernames_from_one_address_never_lock_out_a_real_user(settings, walker):
    """The issue's attack: behind the proxy (no trusted proxy count, so every visitor is the
    proxy's address) someone locks a dozen made-up usernames. Each made-up name is locked;
    the real user at the same address still signs in."""
    settings.TRUSTED_PROXY_COUNT = 0
    attacker = Client()
    limit = django_settings.AXES_FAILURE_LIMIT
    for n in range(12):
        for _ in range(limit):
            last = sign_in(attacker, f"nobody-{n}", "guess", REMOTE_ADDR=PROXY)
        assert last.status_code == 429  # that made-up name is locked (or throttled)
    assert "Account locked" in sign_in(attacker, "nobody-0", "guess", REMOTE_ADDR=PROXY).text
    real = Client()
    response = sign_in(real, REMOTE_ADDR=PROXY)
    assert response.status_code == 302
    assert signed_in(real)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_username_longer_than_any_account_is_a_failed_login_not_a_500(walker, path):
    """axes' attempt column holds 255 characters and it does not truncate (PostgreSQL
    refused the row, a 500): the name is counted cut to 150, so the failures still lock it."""
    long_name = "x" * 300
    client = Client()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        response = client.post(path, {"username": long_name, "password": "guess"})
        assert response.status_code in (200, 429)
    attempt = AccessAttempt.objects.get()
    assert attempt.username == long_name[:150]
    assert attempt.failures_since_start == django_settings.AXES_FAILURE_LIMIT


def test_repeated_failures_for_one_user_lock_that_user_from_every_address(settings, walker):
    """Row 12 still holds when the failures come from many addresses (a distributed guess):
    the username is what counts. The lock page says how long it lasts, as Retry-After too."""
    settings.TRUSTED_PROXY_COUNT = 1
    limit = django_settings.AXES_FAILURE_LIMIT
    for n in range(limit - 1):
        response = sign_in(Client(), password="wrong", **via_proxy(f"192.0.2.{n + 10}"))
        assert response.status_code == 200
    response = sign_in(Client(), password="wrong", **via_proxy("192.0.2.99"))
    assert response.status_code == 429
    assert "Account locked" in response.text
    cooloff = int(django_settings.AXES_COOLOFF_TIME.total_seconds())
    assert response["Retry-After"] == str(cooloff)
    # The right password, from an address that never failed, waits for the lock too.
    elsewhere = Client()
    assert sign_in(elsewhere, **via_proxy("192.0.2.200")).status_code == 429
    assert not signed_in(elsewhere)


def test_a_locked_user_retrying_does_not_lengthen_the_lock(walker, time_machine):
    """AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is off: "try again in 15 minutes"
    holds even for a user who kept trying their right password during the lock."""
    time_machine.move_to(timezone.now(), tick=False)
    client = Client()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        sign_in(client, password="wrong")
    cooloff = django_settings.AXES_COOLOFF_TIME.total_seconds()
    time_machine.shift(cooloff - 120)
    assert sign_in(client).status_code == 429
    assert sign_in(client, password="wrong").status_code == 429
    time_machine.shift(180)
    assert sign_in(client).status_code == 302


# --- The per-address throttle ------------------------------------------------------------


@pytest.fixture
def throttle(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_THROTTLE_FAILURES = 3
    settings.LOGIN_THROTTLE_WINDOW_MINUTES = 10
    return settings


def window_start(time_machine, minutes: int = 10, into: int = 5) -> None:
    """Stop the clock `into` seconds after a throttle window opens (windows are aligned to
    the clock), so Retry-After is exact."""
    now = timezone.now().timestamp()
    time_machine.move_to(
        dt.datetime.fromtimestamp(now - now % (minutes * 60) + into, dt.UTC), tick=False
    )


def test_address_throttle_engages_answers_429_with_retry_after(
    throttle, walker, caplog, time_machine
):
    window_start(time_machine)
    client = Client()
    with caplog.at_level(logging.WARNING, logger="certportal.security"):
        for n in range(2):
            assert sign_in(client, f"made-up-{n}", "guess", **via_proxy()).status_code == 200
        response = sign_in(client, "made-up-2", "guess", **via_proxy())
    assert response.status_code == 429
    assert response["Retry-After"] == str(10 * 60 - 5)
    text = response.text
    assert "Many failed sign-ins have come from your network" in text
    assert "about 10 minutes" in text
    assert "Your account is not locked" in text
    assert 'name="password"' in text  # the form is there to try again
    engaged = [r.getMessage() for r in caplog.records if "login throttle engaged" in r.getMessage()]
    assert engaged == [f"login throttle engaged ip={CLIENT} failures=3 window_minutes=10"]
    # Later failures from that address stay throttled, whatever the username.
    assert sign_in(client, "walker", "wrong", **via_proxy()).status_code == 429


def test_address_throttle_never_refuses_a_correct_password(throttle, walker, time_machine):
    window_start(time_machine)
    for n in range(5):
        last = sign_in(Client(), f"made-up-{n}", "guess", **via_proxy())
    assert last.status_code == 429  # the address is throttled
    real = Client()
    response = sign_in(real, **via_proxy())
    assert response.status_code == 302
    assert signed_in(real)


def test_address_throttle_is_per_address_and_ends_with_its_window(throttle, time_machine):
    window_start(time_machine)
    for n in range(3):
        last = sign_in(Client(), f"made-up-{n}", "guess", **via_proxy())
    assert last.status_code == 429
    other = sign_in(Client(), "made-up-9", "guess", **via_proxy("192.0.2.44"))
    assert other.status_code == 200
    time_machine.shift(10 * 60 - 5)  # the next window
    assert sign_in(Client(), "made-up-3", "guess", **via_proxy()).status_code == 200


def test_address_throttle_counts_an_ipv6_client_by_its_64(throttle):
    for n in range(1, 4):
        last = sign_in(Client(), f"made-up-{n}", "guess", **via_proxy(f"2001:db8:0:7::{n}"))
    assert last.status_code == 429
    neighbour = sign_in(Client(), "made-up-9", "guess", **via_proxy("2001:db8:0:8::1"))
    assert neighbour.status_code == 200


def test_address_throttle_can_be_switched_off(throttle):
    throttle.LOGIN_THROTTLE_FAILURES = 0
    for n in range(6):
        assert sign_in(Client(), f"made-up-{n}", "guess", **via_proxy()).status_code == 200


def test_address_throttle_fails_open_when_the_cache_is_down(throttle, walker):
    """A Redis outage must not turn the login page into a 500: the throttle steps aside and
    the username lock (in the database) still holds."""
    unreachable = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    # A context, not the settings fixture: the cache is back before the throttle is reset.
    with override_settings(CACHES=unreachable, PAGE_CACHE_SECONDS=0):
        for n in range(4):
            assert sign_in(Client(), f"made-up-{n}", "guess", **via_proxy()).status_code == 200
        assert sign_in(Client(), **via_proxy()).status_code == 302


# --- One address in the audit row, the denial log and the lockout -----------------------


@pytest.fixture
def world(db):
    return build_world()


def test_reveal_audit_and_denial_log_carry_the_same_client_address(settings, world, caplog):
    settings.TRUSTED_PROXY_COUNT = 1
    url = reverse(
        "admin:review_reveal",
        args=[world.objects["in_review"].pk, world.objects["environment"].pk],
    )
    headers = via_proxy(f"{SPOOFED}, {CLIENT}")

    reviewer = Client()
    reviewer.force_login(world.users["reviewer"])
    revealed = reviewer.post(url, **headers)
    assert revealed.status_code == 200
    assert CANARIES["password"] in revealed.text
    audit = CredentialReveal.objects.get()

    intruder = Client(raise_request_exception=False)
    intruder.force_login(world.users["reviewer_other"])
    with caplog.at_level(logging.WARNING, logger="certportal.security"):
        denied = intruder.post(url, **headers)
    assert denied.status_code in (403, 404)
    [record] = [r for r in caplog.records if r.name == "certportal.security"]

    sign_in(Client(), "reviewer-other-typo", "wrong", **headers)
    attempt = AccessAttempt.objects.get(username="reviewer-other-typo")

    assert audit.ip_address == CLIENT
    assert record.security_ip == CLIENT
    assert f"ip={CLIENT}" in record.getMessage()
    assert attempt.ip_address == CLIENT
