"""The conftest hook: force_login() of a staff user also verifies a second factor, so the
many staff-page tests need not walk through the code step."""

import pytest
from django_otp import DEVICE_ID_SESSION_KEY

pytestmark = pytest.mark.django_db


def test_force_login_of_staff_is_otp_verified(client, reviewer):
    client.force_login(reviewer)
    assert client.session[DEVICE_ID_SESSION_KEY]
    assert client.get("/manage/support/").status_code in (200, 403)
    assert client.get("/admin/?models=1").status_code == 200  # reviewers land on the queue


def test_force_login_of_partner_user_gets_no_device(client, partner_admin):
    client.force_login(partner_admin)
    assert DEVICE_ID_SESSION_KEY not in client.session
