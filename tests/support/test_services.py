"""Ticket routing and every ticket transition by role, through the services."""

import pytest

from certportal.models import Notification
from support import services
from support.enums import Classification, EventKind, MeetingState, Severity, TicketState
from support.models import SupportMeeting, TicketEvent
from support.services import SupportError
from tests.support.conftest import move_to

pytestmark = pytest.mark.django_db

ROLES = [
    "partner_admin",
    "partner_developer",
    "partner_viewer",
    "other_partner_admin",
    "support_agent",
    "manager",
    "reviewer",
]
DESK = {"support_agent", "manager"}
EDITORS = {"partner_admin", "partner_developer"}


def _as(request, name):
    return request.getfixturevalue(name)


def _last_event(ticket):
    return TicketEvent.objects.filter(ticket=ticket).order_by("-at", "-id").first()


# --- Raising -----------------------------------------------------------------------------


def test_certification_creates_one_support_meeting(certified):
    meeting = SupportMeeting.objects.get(request=certified)
    assert meeting.state == MeetingState.TO_SCHEDULE
    assert services.meeting_ensure(request_id=certified.pk) == meeting
    assert SupportMeeting.objects.filter(request=certified).count() == 1


def test_ticket_create_by_partner_logs_and_notifies_desk(
    certified, partner_developer, support_agent, django_capture_on_commit_callbacks
):
    ticket = services.ticket_create(
        integration=certified.integration,
        actor=partner_developer,
        severity=Severity.CRITICAL,
        subject="Down",
        description="Player fails to load.",
    )
    assert ticket.state == TicketState.NEW
    assert ticket.partner_id == certified.integration.partner_id
    assert ticket.certified_request == certified
    assert ticket.events.get().kind == EventKind.CREATED
    assert Notification.objects.filter(recipient=support_agent, event="ticket_raised").exists()


@pytest.mark.parametrize("role", ["partner_viewer", "other_partner_admin", "reviewer"])
def test_ticket_create_refused_for_role(request, certified, role):
    with pytest.raises(SupportError) as exc:
        services.ticket_create(
            integration=certified.integration,
            actor=_as(request, role),
            severity=Severity.LOW,
            subject="x",
            description="y",
        )
    assert exc.value.code == "not_allowed"


def test_ticket_create_refused_before_certification(draft, partner_admin):
    with pytest.raises(SupportError) as exc:
        services.ticket_create(
            integration=draft.integration,
            actor=partner_admin,
            severity=Severity.LOW,
            subject="x",
            description="y",
        )
    assert exc.value.code == "unmet"


def test_agent_raises_for_joint_customer_and_partner_is_told(
    certified, support_agent, partner_admin
):
    with pytest.raises(SupportError, match="joint customer"):
        services.ticket_create(
            integration=certified.integration,
            actor=support_agent,
            severity=Severity.HIGH,
            subject="x",
            description="y",
        )
    ticket = services.ticket_create(
        integration=certified.integration,
        actor=support_agent,
        severity=Severity.HIGH,
        subject="Customer issue",
        description="Seen at Example University.",
        customer_name="Example University",
    )
    assert ticket.customer_name == "Example University"
    assert Notification.objects.filter(recipient=partner_admin, event="ticket_raised").exists()


# --- Routing rules -----------------------------------------------------------------------


def test_partner_issue_goes_to_partner_and_admins_must_acknowledge(
    ticket, support_agent, partner_admin, partner_developer
):
    ticket = services.ticket_triage(
        ticket=ticket, actor=support_agent, classification=Classification.PARTNER
    )
    assert ticket.state == TicketState.WITH_PARTNER
    assert ticket.classification == Classification.PARTNER
    transitions = list(
        ticket.events.filter(kind=EventKind.TRANSITION).values_list("transition", flat=True)
    )
    assert transitions == ["triage", "route_to_partner"]
    assert Notification.objects.filter(recipient=partner_admin, event="ticket_routed").exists()
    ticket = services.ticket_acknowledge(ticket=ticket, actor=partner_admin)
    assert ticket.acknowledged_by == partner_admin
    assert ticket.acknowledged_at is not None
    assert _last_event(ticket).kind == EventKind.ACKNOWLEDGED
    with pytest.raises(SupportError) as exc:
        services.ticket_acknowledge(ticket=ticket, actor=partner_admin)
    assert exc.value.code == "unmet"


@pytest.mark.parametrize("classification", [Classification.UNCLEAR, Classification.VENDOR])
def test_unclear_and_vendor_issues_go_to_vendor_first_line(ticket, support_agent, classification):
    ticket = services.ticket_triage(
        ticket=ticket, actor=support_agent, classification=classification
    )
    assert ticket.state == TicketState.WITH_VENDOR
    assert ticket.classification == classification


def test_vendor_first_line_escalates_to_partner_with_reason(ticket, support_agent, partner_admin):
    ticket = move_to(ticket, TicketState.WITH_VENDOR, agent=support_agent)
    with pytest.raises(SupportError, match="reason"):
        services.ticket_escalate(ticket=ticket, actor=support_agent, reason=" ")
    ticket = services.ticket_escalate(
        ticket=ticket, actor=support_agent, reason="The partner's job queue is stuck."
    )
    assert ticket.state == TicketState.WITH_PARTNER
    assert ticket.escalation_reason == "The partner's job queue is stuck."
    note = Notification.objects.get(recipient=partner_admin, event="ticket_escalated")
    assert "job queue is stuck" in note.body_text


def test_triage_only_marks_triaged_then_routes(ticket, support_agent):
    ticket = services.ticket_triage(ticket=ticket, actor=support_agent)
    assert ticket.state == TicketState.TRIAGED
    ticket = services.ticket_triage(
        ticket=ticket, actor=support_agent, classification=Classification.VENDOR
    )
    assert ticket.state == TicketState.WITH_VENDOR
    with pytest.raises(SupportError) as exc:
        services.ticket_triage(ticket=ticket, actor=support_agent)
    assert exc.value.code == "wrong_state"


def test_waiting_on_reporter_returns_to_handler_when_reporter_replies(
    ticket, support_agent, partner_developer
):
    ticket = move_to(ticket, TicketState.WAITING_ON_REPORTER, agent=support_agent)
    assert ticket.first_response_at is not None  # the question is the first answer
    services.ticket_reply(ticket=ticket, actor=partner_developer, body="Entry 0_abc.")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.WITH_VENDOR


def test_reopen_by_partner_goes_back_to_triage_desk_may_choose(
    ticket, support_agent, partner_admin
):
    ticket = move_to(ticket, TicketState.CLOSED, agent=support_agent)
    ticket = services.ticket_reopen(
        ticket=ticket, actor=partner_admin, reason="Back again", target=TicketState.WITH_VENDOR
    )
    assert ticket.state == TicketState.TRIAGED
    assert ticket.resolved_at is None and ticket.closed_at is None
    ticket = services.ticket_triage(
        ticket=ticket, actor=support_agent, classification=Classification.VENDOR
    )
    ticket = services.ticket_resolve(ticket=ticket, actor=support_agent, resolution="Done")
    ticket = services.ticket_reopen(
        ticket=ticket, actor=support_agent, reason="Partner side", target=TicketState.WITH_PARTNER
    )
    assert ticket.state == TicketState.WITH_PARTNER
    assert ticket.acknowledged_at is None


def test_reply_on_closed_ticket_is_refused(ticket, support_agent):
    ticket = move_to(ticket, TicketState.CLOSED, agent=support_agent)
    with pytest.raises(SupportError) as exc:
        services.ticket_reply(ticket=ticket, actor=support_agent, body="hello")
    assert exc.value.code == "wrong_state"


# --- Every transition by role ------------------------------------------------------------

# action -> (state it starts from, roles allowed, call)
ACTIONS = {
    "triage": (TicketState.NEW, DESK, lambda t, u: services.ticket_triage(ticket=t, actor=u)),
    "route_partner": (
        TicketState.TRIAGED,
        DESK,
        lambda t, u: services.ticket_triage(
            ticket=t, actor=u, classification=Classification.PARTNER
        ),
    ),
    "route_vendor": (
        TicketState.TRIAGED,
        DESK,
        lambda t, u: services.ticket_triage(
            ticket=t, actor=u, classification=Classification.VENDOR
        ),
    ),
    "escalate": (
        TicketState.WITH_VENDOR,
        DESK,
        lambda t, u: services.ticket_escalate(ticket=t, actor=u, reason="Partner side"),
    ),
    "acknowledge": (
        TicketState.WITH_PARTNER,
        {"partner_admin"},
        lambda t, u: services.ticket_acknowledge(ticket=t, actor=u),
    ),
    "wait_vendor": (
        TicketState.WITH_VENDOR,
        DESK,
        lambda t, u: services.ticket_wait_on_reporter(ticket=t, actor=u, question="More?"),
    ),
    "wait_partner": (
        TicketState.WITH_PARTNER,
        DESK | EDITORS,
        lambda t, u: services.ticket_wait_on_reporter(ticket=t, actor=u, question="More?"),
    ),
    "resolve_vendor": (
        TicketState.WITH_VENDOR,
        DESK,
        lambda t, u: services.ticket_resolve(ticket=t, actor=u, resolution="Fixed"),
    ),
    "resolve_partner": (
        TicketState.WITH_PARTNER,
        DESK | EDITORS,
        lambda t, u: services.ticket_resolve(ticket=t, actor=u, resolution="Fixed"),
    ),
    "close": (
        TicketState.RESOLVED,
        DESK | EDITORS,
        lambda t, u: services.ticket_close(ticket=t, actor=u),
    ),
    "reopen": (
        TicketState.CLOSED,
        DESK | EDITORS,
        lambda t, u: services.ticket_reopen(ticket=t, actor=u, reason="Again"),
    ),
    "reply": (
        TicketState.WITH_VENDOR,
        DESK | EDITORS,
        lambda t, u: services.ticket_reply(ticket=t, actor=u, body="Public answer"),
    ),
    "note": (
        TicketState.WITH_VENDOR,
        DESK,
        lambda t, u: services.ticket_note(ticket=t, actor=u, body="Internal"),
    ),
}
EXPECTED_STATE = {
    "triage": TicketState.TRIAGED,
    "route_partner": TicketState.WITH_PARTNER,
    "route_vendor": TicketState.WITH_VENDOR,
    "escalate": TicketState.WITH_PARTNER,
    "acknowledge": TicketState.WITH_PARTNER,
    "wait_vendor": TicketState.WAITING_ON_REPORTER,
    "wait_partner": TicketState.WAITING_ON_REPORTER,
    "resolve_vendor": TicketState.RESOLVED,
    "resolve_partner": TicketState.RESOLVED,
    "close": TicketState.CLOSED,
    "reopen": TicketState.TRIAGED,
    "reply": TicketState.WITH_VENDOR,
    "note": TicketState.WITH_VENDOR,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_transition_by_role(request, ticket, support_agent, action, role):
    start, allowed, call = ACTIONS[action]
    ticket = move_to(ticket, start, agent=support_agent)
    user = _as(request, role)
    before = TicketEvent.objects.filter(ticket=ticket).count()
    if role in allowed:
        call(ticket, user)
        ticket.refresh_from_db()
        assert ticket.state == EXPECTED_STATE[action]
        last = _last_event(ticket)
        assert TicketEvent.objects.filter(ticket=ticket).count() > before
        assert last.actor == user
        if last.kind == EventKind.TRANSITION:
            assert last.to_state == ticket.state
    else:
        with pytest.raises(SupportError) as exc:
            call(ticket, user)
        assert exc.value.code == "not_allowed"
        ticket.refresh_from_db()
        assert ticket.state == start
        assert TicketEvent.objects.filter(ticket=ticket).count() == before


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("escalate", TicketState.NEW),
        ("acknowledge", TicketState.WITH_VENDOR),
        ("resolve_vendor", TicketState.TRIAGED),
        ("close", TicketState.WITH_VENDOR),
        ("reopen", TicketState.WITH_VENDOR),
        ("wait_vendor", TicketState.RESOLVED),
    ],
)
def test_transition_refused_in_wrong_state(ticket, support_agent, partner_admin, action, state):
    ticket = move_to(ticket, state, agent=support_agent)
    actor = partner_admin if action == "acknowledge" else support_agent
    with pytest.raises(SupportError) as exc:
        ACTIONS[action][2](ticket, actor)
    assert exc.value.code == "wrong_state"


def test_state_field_is_protected(ticket):
    with pytest.raises(AttributeError):
        ticket.state = TicketState.CLOSED


def test_ticket_events_are_immutable(ticket):
    event = ticket.events.first()
    event.body = "changed"
    with pytest.raises(ValueError, match="immutable"):
        event.save()
    with pytest.raises(ValueError, match="immutable"):
        event.delete()


# --- Internal notes never reach partners -------------------------------------------------


def test_internal_note_is_never_in_partner_notifications(
    ticket, support_agent, partner_admin, partner_developer
):
    secret = "INTERNAL-SECRET-42"
    move_to(ticket, TicketState.WITH_PARTNER, agent=support_agent)
    services.ticket_note(ticket=ticket, actor=support_agent, body=secret)
    services.ticket_reply(ticket=ticket, actor=support_agent, body="Public hello")
    services.ticket_resolve(ticket=ticket, actor=partner_admin, resolution="Patched")
    partner_notes = Notification.objects.filter(recipient__in=[partner_admin, partner_developer])
    assert partner_notes.exists()
    for note in partner_notes:
        assert secret not in note.body_text
        assert secret not in note.body_html
        assert secret not in note.subject
    assert TicketEvent.objects.get(body=secret).internal is True


# --- Meetings ----------------------------------------------------------------------------


def test_meeting_schedule_and_held_by_desk(certified, support_agent, partner_admin, time_machine):
    import datetime as dt

    from django.utils import timezone

    meeting = SupportMeeting.objects.get(request=certified)
    when = timezone.now() + dt.timedelta(days=3)
    with pytest.raises(SupportError, match="partner's attendees"):
        services.meeting_schedule(
            meeting=meeting,
            actor=support_agent,
            when=when,
            vendor_attendees="Sam",
            partner_attendees="",
        )
    meeting = services.meeting_schedule(
        meeting=meeting,
        actor=support_agent,
        when=when,
        vendor_attendees="Sam Support",
        partner_attendees="Esca Lation",
    )
    assert meeting.state == MeetingState.SCHEDULED
    assert Notification.objects.filter(
        recipient=partner_admin, event="support_meeting_scheduled"
    ).exists()
    agreed = {
        "customer_contact": "Partner helpdesk",
        "vendor_first_line": "Platform outages",
        "support_tool_access": "Read access for two agents",
    }
    with pytest.raises(SupportError, match="once that time has come"):
        services.meeting_mark_held(
            meeting=meeting, actor=support_agent, notes="", escalation_path="x", **agreed
        )
    time_machine.move_to(when + dt.timedelta(hours=1), tick=False)
    meeting = services.meeting_mark_held(
        meeting=meeting,
        actor=support_agent,
        notes="Good call",
        escalation_path="Tier 2 → Esca",
        **agreed,
    )
    assert meeting.vendor_first_line == "Platform outages"
    assert meeting.state == MeetingState.HELD
    assert meeting.escalation_path == "Tier 2 → Esca"
    with pytest.raises(SupportError) as exc:
        services.meeting_mark_held(
            meeting=meeting, actor=support_agent, notes="", escalation_path="again", **agreed
        )
    assert exc.value.code == "wrong_state"


@pytest.mark.parametrize("role", ["partner_admin", "reviewer"])
def test_meeting_schedule_refused_for_role(request, certified, role):
    from django.utils import timezone

    meeting = SupportMeeting.objects.get(request=certified)
    with pytest.raises(SupportError) as exc:
        services.meeting_schedule(
            meeting=meeting,
            actor=_as(request, role),
            when=timezone.now(),
            vendor_attendees="a",
            partner_attendees="b",
        )
    assert exc.value.code == "not_allowed"
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.TO_SCHEDULE
