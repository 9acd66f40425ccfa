import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from certifications import services, sla
from certifications.enums import RequestState

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_clock_from_log_counts_only_vendor_time():
    day = dt.timedelta(days=1)
    entries = [
        ("submitted", T0),
        ("user_testing", T0 + day),
        ("changes_requested", T0 + 3 * day),  # 3 days on the vendor
        ("user_testing", T0 + 10 * day),  # 7 days paused on the partner
        ("on_hold", T0 + 11 * day),  # +1
        ("user_testing", T0 + 15 * day),  # 4 days on hold: paused
    ]
    clock = sla.clock_from_log(entries, kind="minor")
    assert clock.elapsed_seconds == 4 * 86400
    assert clock.running_since == T0 + 15 * day
    assert clock.due_at() == T0 + 15 * day + 10 * day
    assert clock.elapsed_at(T0 + 16 * day) == 5 * 86400


def test_status_thresholds(settings):
    settings.SLA_DUE_SOON_DAYS = 3
    due = T0 + dt.timedelta(days=10)
    assert sla.status(state="user_testing", due_at=due, now=T0) == sla.ON_TRACK
    assert (
        sla.status(state="user_testing", due_at=due, now=due - dt.timedelta(days=2)) == sla.DUE_SOON
    )
    assert (
        sla.status(state="user_testing", due_at=due, now=due + dt.timedelta(minutes=1))
        == sla.OVERDUE
    )
    assert sla.status(state="changes_requested", due_at=None, now=T0) == sla.PAUSED
    assert sla.status(state="certified", due_at=None, now=T0) == sla.STOPPED
    assert sla.days_left(due, T0) == 10


def test_targets_are_configurable(settings):
    settings.SLA_TARGET_DAYS = {**settings.SLA_TARGET_DAYS, "major": 40}
    assert sla.target_days("major") == 40
    assert sla.target_days("initial") == 90


def test_request_sla_pauses_while_waiting_on_partner(draft, partner_admin, reviewer):
    # Inside the agreement's term (it starts today).
    T0 = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    with time_machine.travel(T0, tick=False):
        request = services.request_submit(request=draft, actor=partner_admin)
        request = services.request_assign(request=request, reviewer=reviewer, actor=reviewer)
    assert request.sla_due_at == T0 + dt.timedelta(days=90)
    with time_machine.travel(T0 + dt.timedelta(days=5), tick=False):
        request = services.request_transition(request=request, name="intake_ok", actor=reviewer)
        request = services.request_transition(
            request=request, name="ut_changes", actor=reviewer, comment="fix"
        )
    assert request.state == RequestState.CHANGES_REQUESTED
    assert request.sla_due_at is None
    assert request.sla_elapsed_seconds == 5 * 86400
    with time_machine.travel(T0 + dt.timedelta(days=25), tick=False):
        request = services.request_transition(
            request=request,
            name="resubmit",
            actor=partner_admin,
            comment="done",
            commit_sha="abcdef12",
        )
        now = timezone.now()
    # 20 days with the partner do not count: 85 days are left.
    assert request.sla_due_at == now + dt.timedelta(days=85)
