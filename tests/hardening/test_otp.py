"""Second factor (TOTP, django-otp): staff need it for /admin/ and /manage/; partner users
may opt in. These tests switch off the conftest hook that verifies staff force_login()."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from certportal import roles
from tests.certportal.test_settings import FIELD_KEY, PROD_KEY, settings_value
from tests.factories import staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.no_auto_otp]

PASSWORD = "Corr3ct-horse-battery"
STAFF_PAGES = ["/manage/", "/admin/", "/manage/support/"]


def code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def staff(db):
    user = staff_user("otp-reviewer", roles.PARTNER_MANAGER)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def device(staff):
    return TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)


def login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_without_device_is_sent_to_setup(client, staff, path):
    client.force_login(staff)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp_setup"))


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_with_device_is_sent_to_code_page(client, staff, device, path):
    client.force_login(staff)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp_verify"))


def test_password_login_then_setup_then_verified(client, staff):
    response = login(client, staff.username)
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp_setup"))
    page = client.get(response.url)
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert "otpauth://totp/" in html
    assert page.context["secret"] in html
    assert "<svg" in html  # QR code, drawn locally
    assert "<script" not in html.split("</head>")[1]
    wrong = client.post(reverse("otp_setup"), {"otp_token": "000000", "next": "/manage/"})
    assert wrong.status_code == 200
    assert "not right" in wrong.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # wrong codes are throttled
    device.throttle_reset()
    session_before = client.session.session_key
    done = client.post(reverse("otp_setup"), {"otp_token": code(device), "next": "/manage/"})
    assert done.status_code == 302
    assert done.url == "/manage/"
    assert client.session.session_key != session_before
    device.refresh_from_db()
    assert device.confirmed
    for path in STAFF_PAGES:
        assert client.get(path).status_code == 200, path


def test_password_login_then_code(client, staff, device):
    response = login(client, staff.username)
    assert response.url.startswith(reverse("otp_verify"))
    assert client.get("/manage/").status_code == 302
    bad = client.post(reverse("otp_verify"), {"otp_token": "12345x", "next": "/manage/"})
    assert bad.status_code == 200
    assert "six digits" in bad.content.decode()
    ok = client.post(reverse("otp_verify"), {"otp_token": code(device), "next": "/manage/"})
    assert ok.status_code == 302
    assert ok.url == "/manage/"
    assert client.get("/admin/").status_code == 200


def test_code_cannot_be_replayed(client, staff, device):
    token = code(device)
    first = Client()
    login(first, staff.username)
    assert first.post(reverse("otp_verify"), {"otp_token": token}).status_code == 302
    login(client, staff.username)
    again = client.post(reverse("otp_verify"), {"otp_token": token})
    assert again.status_code == 200
    assert client.get("/manage/").status_code == 302


def test_password_alone_cannot_register_a_new_device(client, staff, device):
    login(client, staff.username)
    response = client.get(reverse("otp_setup"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp_verify"))
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_open_redirect_in_next_is_ignored(client, staff, device):
    login(client, staff.username)
    response = client.post(
        reverse("otp_verify"), {"otp_token": code(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_device_of_another_user_does_not_verify(client, staff):
    other = staff_user("otp-other", roles.REVIEWER)
    foreign = TOTPDevice.objects.create(user=other, name="x", confirmed=True)
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = foreign.persistent_id
    session.save()
    assert client.get("/manage/").status_code == 302


def test_otp_pages_logout_static_and_health_stay_reachable(client, staff):
    client.force_login(staff)
    assert client.get(reverse("otp_setup")).status_code == 200
    assert client.get(reverse("healthz")).status_code in (200, 503)
    assert client.post(reverse("logout")).status_code == 302


def test_partner_user_is_not_asked_by_default(client, partner_admin):
    partner_admin.set_password(PASSWORD)
    partner_admin.save()
    response = login(client, partner_admin.username)
    assert response.url == reverse("home")
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_partner_user_can_opt_in_and_is_then_asked_at_login(client, partner_admin):
    partner_admin.set_password(PASSWORD)
    partner_admin.save()
    login(client, partner_admin.username)
    assert client.get(reverse("password_change")).content.decode().count(reverse("otp_setup"))
    client.get(reverse("otp_setup"))
    device = TOTPDevice.objects.get(user=partner_admin)
    response = client.post(reverse("otp_setup"), {"otp_token": code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    device.last_t = -1  # let the next login reuse this time step's code
    device.save()

    fresh = Client()
    response = login(fresh, partner_admin.username)
    assert response.url.startswith(reverse("otp_verify"))
    blocked = fresh.get(reverse("portal:dashboard"))
    assert blocked.status_code == 302
    assert blocked.url.startswith(reverse("otp_verify"))
    fresh.post(reverse("otp_verify"), {"otp_token": code(device)})
    assert fresh.get(reverse("portal:dashboard")).status_code == 200


def test_relaxed_demo_setting_skips_the_second_factor_and_says_so(client, settings, staff):
    settings.STAFF_REQUIRE_2FA = False
    assert "STAFF_REQUIRE_2FA" in client.get(reverse("login")).content.decode()
    response = login(client, staff.username)
    assert response.url == reverse("home")
    assert client.get("/manage/").status_code == 200


def test_login_page_has_no_relaxed_notice_when_required(client):
    assert "STAFF_REQUIRE_2FA" not in client.get(reverse("login")).content.decode()


def test_requirement_cannot_be_switched_off_with_debug_off():
    production = {
        "DEBUG": "false",
        "SECRET_KEY": PROD_KEY,
        "ALLOWED_HOSTS": "portal.example.com",
        "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
    }
    assert settings_value("s.STAFF_REQUIRE_2FA", **production) == "True"
    assert settings_value("s.STAFF_REQUIRE_2FA", STAFF_REQUIRE_2FA="false", **production) == "True"
    assert settings_value("s.STAFF_REQUIRE_2FA", DEBUG="true") == "False"
    assert settings_value("s.STAFF_REQUIRE_2FA", DEBUG="true", STAFF_REQUIRE_2FA="true") == "True"


@pytest.mark.usefixtures("staff")
def test_conftest_hook_is_off_under_the_marker(client):
    client.force_login(get_user_model().objects.get(username="otp-reviewer"))
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_superuser_needs_the_second_factor_for_admin(client):
    admin = get_user_model().objects.create_superuser("root-otp", "r@example.com", PASSWORD)
    client.force_login(admin)
    assert client.get("/admin/").status_code == 302
