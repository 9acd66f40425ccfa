"""First-response and resolution timers per severity, and breach flags, on a frozen clock."""

import datetime as dt

import pytest

from partners.models import SupportPlan
from support import selectors, services
from support.enums import Severity, TicketState
from tests.support.conftest import move_to

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC)


def _raise(certified, actor, severity):
    return services.ticket_create(
        integration=certified.integration,
        actor=actor,
        severity=severity,
        subject=f"{severity} problem",
        description="details",
    )


@pytest.mark.parametrize(
    ("severity", "response_h", "resolution_h"),
    [
        (Severity.CRITICAL, 4, 24),
        (Severity.HIGH, 8, 72),
        (Severity.NORMAL, 24, 168),
        (Severity.LOW, 72, 336),
    ],
)
def test_targets_come_from_plan_and_settings(
    certified, partner_developer, time_machine, severity, response_h, resolution_h
):
    time_machine.move_to(T0, tick=False)
    ticket = _raise(certified, partner_developer, severity)
    assert ticket.first_response_due_at == T0 + dt.timedelta(hours=response_h)
    assert ticket.resolution_due_at == T0 + dt.timedelta(hours=resolution_h)


def test_plan_and_settings_overrides(certified, partner_developer, time_machine, settings):
    SupportPlan.objects.filter(partner=certified.integration.partner).update(
        response_critical_hours=1
    )
    settings.SUPPORT_RESOLUTION_HOURS = {"critical": 6}
    time_machine.move_to(T0, tick=False)
    ticket = _raise(certified, partner_developer, Severity.CRITICAL)
    assert ticket.first_response_due_at == T0 + dt.timedelta(hours=1)
    assert ticket.resolution_due_at == T0 + dt.timedelta(hours=6)


def _flags(user, ticket, now):
    row = selectors.ticket_queue(user=user, now=now).get(pk=ticket.pk)
    return row.response_breached, row.resolution_breached


def test_first_response_breach_flag(certified, partner_developer, support_agent, time_machine):
    time_machine.move_to(T0, tick=False)
    ticket = _raise(certified, partner_developer, Severity.HIGH)  # 8 h / 72 h
    just_before = T0 + dt.timedelta(hours=7, minutes=59)
    assert _flags(support_agent, ticket, just_before) == (False, False)
    after = T0 + dt.timedelta(hours=8, minutes=1)
    assert _flags(support_agent, ticket, after) == (True, False)
    assert ticket.first_response_breached(after)
    breached = selectors.ticket_queue(user=support_agent, now=after, breach="response")
    assert list(breached) == [ticket]
    assert not selectors.ticket_queue(user=support_agent, now=after, breach="resolution").exists()
    # A late answer stays a breach.
    time_machine.move_to(after, tick=False)
    services.ticket_reply(ticket=ticket, actor=support_agent, body="Looking")
    assert _flags(support_agent, ticket, after + dt.timedelta(hours=1)) == (True, False)


def test_timely_answer_and_resolution_are_not_breaches(
    certified, partner_developer, support_agent, time_machine
):
    time_machine.move_to(T0, tick=False)
    ticket = _raise(certified, partner_developer, Severity.CRITICAL)  # 4 h / 24 h
    time_machine.move_to(T0 + dt.timedelta(hours=1), tick=False)
    services.ticket_reply(ticket=ticket, actor=support_agent, body="On it")
    ticket.refresh_from_db()
    assert ticket.first_response_at == T0 + dt.timedelta(hours=1)
    time_machine.move_to(T0 + dt.timedelta(hours=20), tick=False)
    move_to(ticket, TicketState.RESOLVED, agent=support_agent)
    later = T0 + dt.timedelta(days=30)
    assert _flags(support_agent, ticket, later) == (False, False)


def test_reporter_reply_is_not_a_first_response(
    certified, partner_developer, support_agent, time_machine
):
    time_machine.move_to(T0, tick=False)
    ticket = _raise(certified, partner_developer, Severity.NORMAL)
    services.ticket_reply(ticket=ticket, actor=partner_developer, body="More details")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_resolution_breach_flag_and_reopen(
    certified, partner_developer, support_agent, time_machine
):
    time_machine.move_to(T0, tick=False)
    ticket = _raise(certified, partner_developer, Severity.CRITICAL)  # 24 h resolution
    services.ticket_reply(ticket=ticket, actor=support_agent, body="On it")
    late = T0 + dt.timedelta(hours=25)
    assert _flags(support_agent, ticket, late) == (False, True)
    assert list(selectors.ticket_queue(user=support_agent, now=late, breach="any")) == [ticket]
    time_machine.move_to(late, tick=False)
    ticket = move_to(ticket, TicketState.RESOLVED, agent=support_agent)
    assert _flags(support_agent, ticket, late + dt.timedelta(days=1)) == (False, True)


def test_closed_ticket_never_answered_is_not_flagged_for_response_after_close(
    certified, partner_developer, support_agent, time_machine
):
    time_machine.move_to(T0, tick=False)
    ticket = _raise(certified, partner_developer, Severity.LOW)
    time_machine.move_to(T0 + dt.timedelta(hours=1), tick=False)
    ticket = move_to(ticket, TicketState.CLOSED, agent=support_agent)
    # Resolving counts as the first response.
    assert ticket.first_response_at == T0 + dt.timedelta(hours=1)
    assert _flags(support_agent, ticket, T0 + dt.timedelta(days=60)) == (False, False)
