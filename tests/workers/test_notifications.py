"""The in-app notification pages, the outbox under concurrency, SLA reminders and the
e-mail templates."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from certifications import services as cert_services
from certifications.models import CertificationRequest
from certportal import delivery, outbox
from certportal.models import Notification, NotificationState, UserProfile
from reviews import reminders
from tests.conftest import require_service

pytestmark = pytest.mark.django_db

EVENTS = [
    "business_review_submitted",
    "business_review_decided",
    "agreement_requested",
    "agreement_sent",
    "agreement_activated",
    "agreement_expiring",
    "request_submit",
    "request_intake_ok",
    "request_intake_incomplete",
    "request_ut_pass",
    "request_ut_changes",
    "request_cr_pass",
    "request_cr_changes",
    "request_resubmit",
    "request_publish",
    "request_withdraw",
    "request_reject",
    "request_hold",
    "request_resume",
    "request_new_in_queue",
    "request_assigned",
    "finding_added",
    "finding_answered",
    "sla_due_soon",
    "sla_overdue",
    "github_access_failed",
]


def _notes(user, n: int, **kw) -> list[Notification]:
    return [
        outbox.notify(
            recipients=[user], event="request_submit", subject=f"Note {i}", link="/portal/", **kw
        )[0]
        for i in range(n)
    ]


# --- Views ---------------------------------------------------------------------------


def test_list_shows_own_notifications_with_unread_count(client, partner_admin, partner_developer):
    _notes(partner_admin, 2)
    _notes(partner_developer, 1)
    client.force_login(partner_admin)

    response = client.get(reverse("notifications:list"))

    assert response.status_code == 200
    assert response.context["unread"] == 2
    assert len(response.context["page"].object_list) == 2
    assert b"Note 1" in response.content
    assert b"2 unread" in response.content


def test_list_query_count_does_not_grow(client, partner_admin, django_assert_max_num_queries):
    client.force_login(partner_admin)
    _notes(partner_admin, 2)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("notifications:list"))
    _notes(partner_admin, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("notifications:list"))
    assert len(response.context["page"].object_list) == 22


def test_list_empty_state_and_requires_login(client, reviewer):
    assert client.get(reverse("notifications:list")).status_code == 302
    client.force_login(reviewer)
    response = client.get(reverse("notifications:list") + "?show=unread")
    assert b"No unread notifications" in response.content


def test_mark_read_and_open_link(client, partner_admin):
    [note] = _notes(partner_admin, 1)
    client.force_login(partner_admin)

    response = client.post(reverse("notifications:read", args=[note.pk]), {"open": "1"})

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert outbox.unread_count(partner_admin) == 0


def test_mark_read_of_another_users_notification_is_404(client, partner_admin, other_partner_admin):
    [note] = _notes(other_partner_admin, 1)
    client.force_login(partner_admin)

    response = client.post(reverse("notifications:read", args=[note.pk]))

    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_read_requires_post(client, partner_admin):
    [note] = _notes(partner_admin, 1)
    client.force_login(partner_admin)
    assert client.get(reverse("notifications:read", args=[note.pk])).status_code == 405


def test_mark_all_read(client, partner_admin, partner_developer):
    _notes(partner_admin, 3)
    _notes(partner_developer, 1)
    client.force_login(partner_admin)

    response = client.post(reverse("notifications:read_all"), follow=True)

    assert b"Marked 3 notifications as read" in response.content
    assert outbox.unread_count(partner_admin) == 0
    assert outbox.unread_count(partner_developer) == 1


def test_header_shows_unread_count(client, partner_admin):
    _notes(partner_admin, 4)
    client.force_login(partner_admin)
    response = client.get(reverse("notifications:preferences"))
    assert b'aria-label="4 unread"' in response.content


def test_preferences_turn_off_noncritical_email(client, partner_admin):
    client.force_login(partner_admin)
    response = client.get(reverse("notifications:preferences"))
    assert response.context["form"].initial["email_noncritical"] is True

    response = client.post(reverse("notifications:preferences"), {})

    assert response.status_code == 302
    assert UserProfile.objects.get(user=partner_admin).email_noncritical is False
    [note] = _notes(partner_admin, 1, critical=False)
    assert delivery.deliver(note.pk) == NotificationState.SKIPPED


# --- Outbox ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_deliveries_of_one_row_send_one_email(partner_admin):
    require_service(
        "PostgreSQL", connection.vendor == "postgresql", "row locks need DATABASE_URL=postgres://"
    )
    [note] = _notes(partner_admin, 1)
    # The eager on-commit delivery already sent it; make it pending again for the race.
    Notification.objects.filter(pk=note.pk).update(
        state=NotificationState.PENDING, attempts=0, sent_at=None
    )
    mail.outbox.clear()
    barrier = threading.Barrier(4)
    results: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(delivery.deliver(note.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(mail.outbox) == 1
    assert results.count(NotificationState.SENT) == 1
    note.refresh_from_db()
    assert note.state == NotificationState.SENT
    assert note.attempts == 1


def test_sweep_skips_fresh_and_sent_rows(partner_admin):
    old, fresh = _notes(partner_admin, 2)
    Notification.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    mail.outbox.clear()

    assert delivery.sweep() == 1
    assert delivery.sweep() == 0
    assert len(mail.outbox) == 1
    fresh.refresh_from_db()
    assert fresh.state == NotificationState.PENDING


# --- SLA reminders ----------------------------------------------------------------------


@pytest.fixture
def in_review(draft, partner_admin, reviewer, manager):
    request = cert_services.request_submit(request=draft, actor=partner_admin)
    return cert_services.request_assign(request=request, reviewer=reviewer, actor=manager)


def test_sla_reminders_once_per_threshold(in_review, reviewer, manager):
    due = CertificationRequest.objects.get(pk=in_review.pk).sla_due_at
    soon = due - dt.timedelta(days=1)

    assert reminders.sla_reminders_send(now=soon) == 2
    assert reminders.sla_reminders_send(now=soon) == 0
    assert reminders.sla_reminders_send(now=due + dt.timedelta(days=1)) == 2
    assert reminders.sla_reminders_send(now=due + dt.timedelta(days=2)) == 0

    rows = Notification.objects.filter(event__startswith="sla_")
    assert set(rows.values_list("event", "recipient")) == {
        ("sla_due_soon", reviewer.pk),
        ("sla_due_soon", manager.pk),
        ("sla_overdue", reviewer.pk),
        ("sla_overdue", manager.pk),
    }
    assert rows.filter(event="sla_overdue").first().critical


def test_sla_reminders_skip_on_track_and_paused(in_review, partner_admin):
    due = CertificationRequest.objects.get(pk=in_review.pk).sla_due_at
    assert reminders.sla_reminders_send(now=due - dt.timedelta(days=30)) == 0
    cert_services.request_transition(
        request=in_review, name="intake_incomplete", actor=in_review.assigned_reviewer, comment="x"
    )
    assert reminders.sla_reminders_send(now=due + dt.timedelta(days=5)) == 0


# --- E-mail templates -------------------------------------------------------------------


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_has_text_and_html_with_link(event, partner_admin, integration):
    context = {
        "recipient": partner_admin,
        "subject": "Subject <b>line</b>",
        "url": "https://portal.example/portal/requests/1/",
        "site_name": "Portal",
        "message": "Because <reasons>",
        "request": type("R", (), {"integration": integration, "version": "1.2.3"})(),
        "integration": integration,
        "days_left": 2,
        "due_at": timezone.now(),
    }
    text = render_to_string(f"email/{event}.txt", context)
    html = render_to_string(f"email/{event}.html", context)
    assert "https://portal.example/portal/requests/1/" in text
    assert 'href="https://portal.example/portal/requests/1/"' in html
    assert "Because <reasons>" in text
    assert "Because &lt;reasons&gt;" in html
    assert "<b>line" not in html
