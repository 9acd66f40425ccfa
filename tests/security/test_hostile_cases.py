"""The hostile inputs issue 20 lists, one by one: each is a clear 4xx or a form error that
keeps what was typed, and nothing changes. (The crawl in test_hostile_input.py sends such
values everywhere; these pin the answer of each.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications import deployments
from certifications.enums import RequestState
from certifications.models import CertificationRequest, TestEnvironment
from partners.forms import BusinessReviewActionForm
from support.models import DeploymentCycle
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_withdraw_comment_with_nul_is_a_form_error_that_keeps_the_text(world):
    draft = world.objects["draft"]
    response = world.client("admin").post(
        reverse("portal:request_withdraw", args=[draft.pk]), {"comment": "bye\x00now"}
    )
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()
    assert CertificationRequest.objects.get(pk=draft.pk).state == RequestState.DRAFT


def test_withdraw_comment_over_the_cap_is_a_form_error_that_keeps_the_text(world):
    draft = world.objects["draft"]
    typed = "Changed our plans. " + "x" * 2000
    response = world.client("admin").post(
        reverse("portal:request_withdraw", args=[draft.pk]), {"comment": typed}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ensure this value has at most 2000 characters" in html
    assert typed in html
    assert CertificationRequest.objects.get(pk=draft.pk).state == RequestState.DRAFT


def test_withdraw_with_a_comment_still_withdraws(world):
    draft = world.objects["draft"]
    response = world.client("admin").post(
        reverse("portal:request_withdraw", args=[draft.pk]), {"comment": "No longer needed."}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == RequestState.WITHDRAWN
    assert draft.log.latest("at").comment == "No longer needed."


@pytest.mark.parametrize("env", ["abc", "", "9" * 30, "\u00b2", "bye\x00now"])
def test_removing_test_access_with_a_bad_id_is_400_and_removes_nothing(world, env):
    request = world.objects["in_review"]
    before = TestEnvironment.objects.count()
    url = reverse("portal:request_step", args=[request.pk, "environments"])
    response = world.client("admin").post(url, {"action": "delete", "env": env})
    assert response.status_code == 400
    assert "Choose the test access to remove." in response.content.decode()
    assert TestEnvironment.objects.count() == before


def test_removing_another_requests_test_access_is_404(world):
    draft = world.objects["draft"]
    foreign = world.objects["environment"]  # belongs to the request in review
    url = reverse("portal:request_step", args=[draft.pk, "environments"])
    response = world.client("admin").post(url, {"action": "delete", "env": foreign.pk})
    assert response.status_code == 404
    assert TestEnvironment.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01"])
def test_deployment_calendar_out_of_range_from_is_400_with_the_default_period(world, day):
    response = world.client("manager").get(reverse("support_staff:deployments"), {"from": day})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a day between 01 Jan 2000 and 31 Dec 2099." in html
    assert "Showing the default period." in html


def test_deployment_calendar_in_range_from_is_shown(world):
    response = world.client("manager").get(
        reverse("support_staff:deployments"), {"from": "2030-01-01"}
    )
    assert response.status_code == 200
    assert "From 1 Jan 2030" in response.content.decode()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "9999-99-99", "bye\x00now"])
def test_marking_an_out_of_range_day_deployed_is_404(world, day):
    url = reverse("support_staff:deployment_mark", args=[day])
    response = world.client("manager").post(url)
    assert response.status_code == 404
    assert not DeploymentCycle.objects.exists()


def test_deployment_notes_over_the_cap_are_a_form_error_that_keeps_the_text(world):
    today = timezone.localdate()
    day = deployments.cycle_days_between(today - dt.timedelta(days=30), today)[-1]
    typed = "Shipped late. " + "n" * 2000
    response = world.client("support").post(
        reverse("support_staff:deployment_mark", args=[day.isoformat()]), {"notes": typed}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ensure this value has at most 2000 characters" in html
    assert typed in html
    assert not DeploymentCycle.objects.filter(deploy_on=day).exists()


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_otp_device_admin_views_never_show_a_secret_nor_fail(world, view):
    """The back office hides authenticator secrets (OTP_ADMIN_HIDE_SENSITIVE_DATA): the
    key and QR-code views refuse even a superuser, for a missing id as for a real one."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    superuser = UserFactory(username="hostile-root", is_staff=True, is_superuser=True)
    world.users["superuser"] = superuser
    device = TOTPDevice.objects.create(user=superuser, name="phone")
    for pk in (99999, device.pk):
        response = world.client("superuser").get(f"/admin/otp_totp/totpdevice/{pk}/{view}/")
        assert response.status_code == 403
        assert device.key not in response.content.decode()


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_otp_device_admin_views_refuse_staff_without_the_permission_first(world, view):
    response = world.client("reviewer").get(f"/admin/otp_totp/totpdevice/99999/{view}/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "at__year=" + "9" * 30,  # OverflowError in Django's date hierarchy (#37357)
        "at__year=9999",  # year 10000 is out of range
        "at__year=9999&at__month=12&at__day=31",
        "q=bye%00now",  # PostgreSQL refuses NUL
        "action=bye%00now",
    ],
)
def test_admin_changelist_hostile_query_is_refused_not_a_500(world, query):
    client = world.client("reviewer")
    url = reverse("admin:certportal_auditevent_changelist")
    response = client.get(f"{url}?{query}")
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize("name", ["reviewer", "partner"])
@pytest.mark.parametrize("value", ["9" * 30, "\u00b2", "-1"])
def test_review_queue_id_filters_ignore_what_is_not_an_id(world, name, value):
    url = reverse("admin:certifications_certificationrequest_changelist")
    assert world.client("reviewer").get(url, {name: value}).status_code == 200


@pytest.mark.parametrize("pk", ["\u00b2", "9" * 30])
def test_review_page_with_a_non_id_is_404(world, pk):
    url = f"/admin/certifications/certificationrequest/{pk}/change/"
    assert world.client("reviewer").get(url).status_code == 404


@pytest.mark.parametrize("code", ["bye\x00now", "x" * 40, "../../etc"])
def test_verify_with_what_cannot_be_a_code_is_404(world, code):
    from urllib.parse import quote

    response = world.client("anonymous").get(f"/verify/{quote(code, safe='')}/")
    assert response.status_code == 404


@pytest.mark.parametrize("next_url", ["9999-12-31", "abc", "bye\x00now"])
def test_second_factor_page_follows_only_a_path(world, next_url):
    # A verified staff session is sent on at once: `next` that is not a path goes home.
    response = world.client("reviewer").get(reverse("otp_verify"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("support:ticket_list", {"show": "bye\x00now"}),
        ("support:ticket_new", {"integration": "\u00b2"}),
        ("support:ticket_new", {"integration": "9" * 30}),
        ("notifications:list", {"show": "bye\x00now"}),
    ],
)
def test_portal_filters_fall_back_on_bad_values(world, url_name, query):
    assert world.client("developer").get(reverse(url_name), query).status_code == 200


def test_meeting_list_falls_back_on_a_bad_show(world):
    response = world.client("support").get(reverse("support_staff:meetings"), {"show": "\x00"})
    assert response.status_code == 200


def test_partner_page_refuses_an_unknown_action(world):
    partner = world.objects["partner"]
    response = world.client("manager").post(
        reverse("manage:partner", args=[partner.pk]), {"action": "bye\x00now"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:partner", args=[partner.pk])


@pytest.mark.parametrize(
    ("action", "submits"), [("submit", True), ("save", False), ("\x00", False), ("", False)]
)
def test_only_the_submit_button_submits_the_business_review(action, submits):
    assert BusinessReviewActionForm({"action": action}).submits() is submits
