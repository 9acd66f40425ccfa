"""The support desk's pages: queue, ticket actions, meetings, deployment calendar."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications.models import CertificationRequest
from certportal.models import AuditEvent
from support import services
from support.enums import Classification, MeetingState, Severity, TicketState
from support.models import DeploymentCycle, SupportMeeting, Ticket
from tests.support.conftest import move_to

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _staff_urls(ticket, meeting):
    return [
        ("get", reverse("support_staff:queue")),
        ("get", reverse("support_staff:ticket_new")),
        ("get", reverse("support_staff:ticket", args=[ticket.pk])),
        ("post", reverse("support_staff:ticket_action", args=[ticket.pk, "note"])),
        ("get", reverse("support_staff:meetings")),
        ("get", reverse("support_staff:meeting", args=[meeting.pk])),
        ("post", reverse("support_staff:meeting_action", args=[meeting.pk, "schedule"])),
        ("get", reverse("support_staff:deployments")),
        ("post", reverse("support_staff:deployment_mark", args=["2026-01-05"])),
    ]


@pytest.fixture
def meeting(certified):
    return SupportMeeting.objects.get(request=certified)


def test_staff_urls_anonymous_redirect(client, ticket, meeting):
    for method, url in _staff_urls(ticket, meeting):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert reverse("login") in response.url


@pytest.mark.parametrize(
    "role", ["reviewer", "partner_admin", "partner_developer", "other_partner_admin"]
)
def test_staff_urls_wrong_role_forbidden(client, request, ticket, meeting, role):
    _login(client, request.getfixturevalue(role))
    for method, url in _staff_urls(ticket, meeting):
        assert getattr(client, method)(url).status_code == 403, url


@pytest.mark.parametrize("role", ["support_agent", "manager"])
def test_staff_pages_open_for_desk(client, request, ticket, meeting, role):
    _login(client, request.getfixturevalue(role))
    for method, url in _staff_urls(ticket, meeting):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_unknown_ticket_is_404(client, support_agent):
    _login(client, support_agent)
    assert client.get(reverse("support_staff:ticket", args=[999999])).status_code == 404


def test_queue_filters_and_breach_highlight(
    client, certified, partner_developer, support_agent, time_machine
):
    t0 = dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(t0, tick=False)
    critical = services.ticket_create(
        integration=certified.integration,
        actor=partner_developer,
        severity=Severity.CRITICAL,
        subject="Critical one",
        description="d",
    )
    services.ticket_create(
        integration=certified.integration,
        actor=partner_developer,
        severity=Severity.LOW,
        subject="Low one",
        description="d",
    )
    time_machine.move_to(t0 + dt.timedelta(hours=5), tick=False)
    _login(client, support_agent)
    html = client.get(reverse("support_staff:queue")).content.decode()
    assert "Critical one" in html and "Low one" in html
    assert html.count("Breached") == 1
    html = client.get(reverse("support_staff:queue"), {"breach": "response"}).content.decode()
    assert "Critical one" in html and "Low one" not in html
    html = client.get(reverse("support_staff:queue"), {"severity": "low"}).content.decode()
    assert "Low one" in html and "Critical one" not in html
    move_to(critical, TicketState.WITH_VENDOR, agent=support_agent)
    html = client.get(reverse("support_staff:queue"), {"state": "with_vendor"}).content.decode()
    assert "Critical one" in html and "Low one" not in html
    html = client.get(
        reverse("support_staff:queue"), {"integration": certified.integration_id}
    ).content.decode()
    assert "Critical one" in html and "Low one" in html


def test_queue_query_count_does_not_grow(
    client,
    certified,
    other_certified,
    partner_developer,
    support_agent,
    django_assert_max_num_queries,
):
    def add(n):
        for i in range(n):
            services.ticket_create(
                integration=certified.integration,
                actor=partner_developer,
                severity=Severity.NORMAL,
                subject=f"Queue row {i}",
                description="d",
            )

    _login(client, support_agent)
    add(2)
    # 8 for the page + 1 for the staff second-factor device (django-otp) of the session.
    with django_assert_max_num_queries(9):
        assert client.get(reverse("support_staff:queue")).status_code == 200
    add(12)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("support_staff:queue"))
    assert response.content.decode().count("Queue row ") == 14


def test_staff_ticket_actions_through_views(client, ticket, support_agent, partner_admin):
    _login(client, support_agent)
    post = lambda action, data=None: client.post(  # noqa: E731
        reverse("support_staff:ticket_action", args=[ticket.pk, action]), data or {}
    )
    assert post("triage", {"triage-classification": Classification.UNCLEAR}).status_code == 302
    assert post("note", {"note-body": "Internal thought"}).status_code == 302
    response = post("escalate", {"escalate-reason": ""})
    assert response.status_code == 400
    assert post("escalate", {"escalate-reason": "Partner bug"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.WITH_PARTNER
    assert post("reply", {"reply-body": "Partner is on it"}).status_code == 302
    assert post("resolve", {"resolve-resolution": "Fixed"}).status_code == 302
    assert post("close").status_code == 302
    assert (
        post("reopen", {"reopen-reason": "Again", "reopen-target": "with_vendor"}).status_code
        == 302
    )
    ticket.refresh_from_db()
    assert ticket.state == TicketState.WITH_VENDOR
    html = client.get(reverse("support_staff:ticket", args=[ticket.pk])).content.decode()
    assert "Internal thought" in html  # the desk sees internal notes
    assert post("triage", {"triage-classification": ""}).status_code == 409


def test_staff_raises_ticket_for_customer(client, certified, support_agent):
    _login(client, support_agent)
    data = {
        "customer_name": "Example University",
        "integration": certified.integration_id,
        "severity": Severity.HIGH,
        "subject": "Customer report",
        "description": "Seen by the customer.",
    }
    response = client.post(reverse("support_staff:ticket_new"), data)
    ticket = Ticket.objects.get(subject="Customer report")
    assert response.status_code == 302
    assert ticket.customer_name == "Example University"
    assert ticket.raised_by == support_agent


# --- Meetings ----------------------------------------------------------------------------


AGREED = {
    "customer_contact": "Acme's own helpdesk, support@acme.example",
    "vendor_first_line": "Outages of the vendor's platform",
    "support_tool_access": "Two Acme agents have read access to the vendor's support tool",
}


def test_meeting_pages_schedule_then_held(
    client, meeting, support_agent, manager, partner_admin, time_machine
):
    _login(client, manager)
    html = client.get(reverse("support_staff:meetings")).content.decode()
    assert meeting.request.integration.name in html
    url = reverse("support_staff:meeting_action", args=[meeting.pk, "schedule"])
    assert client.post(url, {"when": "2030-05-01T10:00"}).status_code == 400
    response = client.post(
        url,
        {"when": "2030-05-01T10:00", "vendor_attendees": "Sam", "partner_attendees": "Esca"},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.SCHEDULED
    held = {"notes": "ok", "escalation_path": "L1 → partner escalation contact", **AGREED}
    held_url = reverse("support_staff:meeting_action", args=[meeting.pk, "held"])
    # Not before its time (issue 14): refused with the meeting's date, nothing recorded.
    response = client.post(held_url, held)
    assert response.status_code == 400
    assert "it can be recorded as held once that time has come" in response.content.decode()
    assert client.post(held_url, {**held, "customer_contact": ""}).status_code == 400
    time_machine.move_to(dt.datetime(2030, 5, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    _login(client, manager)  # the session of 2026 has expired by then
    response = client.post(held_url, held)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.HELD
    assert AuditEvent.objects.filter(action="support_meeting_held", object_id=meeting.pk).exists()
    html = client.get(reverse("support_staff:meetings")).content.decode()
    assert "No pending support meetings." in html
    response = client.post(held_url, {**held, "escalation_path": "again"})
    assert response.status_code == 409
    # The partner sees the agreed escalation path on the integration's support page.
    client.force_login(partner_admin)
    url = reverse("support:integration", args=[meeting.request.integration_id])
    html = client.get(url).content.decode()
    assert "Who your customers contact first" in html
    for value in (*AGREED.values(), "L1 → partner escalation contact"):
        assert value.replace("'", "&#x27;") in html


# --- Deployment calendar -----------------------------------------------------------------


def test_deployment_calendar_groups_by_cycle_and_marks_deployed(
    client, certified, support_agent, settings, time_machine
):
    settings.DEPLOYMENT_CYCLE_ANCHOR = "2026-01-05"
    settings.DEPLOYMENT_CYCLE_DAYS = 14
    settings.DEPLOYMENT_CUTOFF_DAYS = 3
    time_machine.move_to(dt.datetime(2030, 1, 15, 12, 0, tzinfo=dt.UTC), tick=False)
    deploy_on = dt.date(2030, 1, 14)  # a cycle day: 2026-01-05 + 104 × 14 days
    CertificationRequest.objects.filter(pk=certified.pk).update(deployment_date=deploy_on)
    _login(client, support_agent)
    html = client.get(reverse("support_staff:deployments"), {"from": "2030-01-01"}).content.decode()
    assert "Mon 14 Jan 2030" in html
    assert "Cut-off: certified by 11 Jan 2030" in html
    assert f"{certified.integration.name} {certified.version}" in html
    assert "Mon 28 Jan 2030" in html  # the empty next cycle is listed too
    url = reverse("support_staff:deployment_mark", args=["2030-01-14"])
    assert client.post(url, {"notes": "shipped"}).status_code == 302
    cycle = DeploymentCycle.objects.get(deploy_on=deploy_on)
    assert cycle.deployed_by == support_agent
    assert AuditEvent.objects.filter(action="deployment_cycle_deployed").count() == 1
    client.post(url)  # twice: refused, nothing changes
    assert AuditEvent.objects.filter(action="deployment_cycle_deployed").count() == 1
    future = reverse("support_staff:deployment_mark", args=["2030-01-28"])
    client.post(future)
    assert not DeploymentCycle.objects.filter(deploy_on=dt.date(2030, 1, 28)).exists()
    not_a_cycle = reverse("support_staff:deployment_mark", args=["2030-01-15"])
    assert client.post(not_a_cycle).status_code == 404


def test_deployment_mark_refused_for_reviewer_service(reviewer):
    with pytest.raises(services.SupportError) as exc:
        services.deployment_mark_deployed(deploy_on=timezone.localdate(), actor=reviewer)
    assert exc.value.code == "not_allowed"


def test_admin_pages_are_read_only(client, ticket, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:support_ticket_changelist")).status_code == 200
    assert client.get(reverse("admin:support_ticket_change", args=[ticket.pk])).status_code == 200
    assert client.get(reverse("admin:support_ticket_add")).status_code == 403
