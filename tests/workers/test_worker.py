"""Integration tests with a real Celery worker consuming from Redis (no eager mode).

The worker runs in a thread of this process, so it shares the test database, the fake
GitHub server and the locmem mail outbox."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.core import mail
from django.db import transaction

from certifications import services as cert_services
from certportal import delivery, outbox
from certportal.models import Notification, NotificationState
from certportal.tasks import task_deliver_notification
from reviews import access
from reviews.models import GrantState, RepoAccessGrant
from reviews.tasks import task_sync_repo_access
from tests.workers.conftest import REVIEWER_LOGIN

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _emails_expected() -> int:
    return Notification.objects.exclude(recipient__email="").count()


def test_submission_grants_access_and_sends_email(celery_worker, gh, draft, partner_admin):
    cert_services.request_submit(request=draft, actor=partner_admin)

    wait_for(lambda: RepoAccessGrant.objects.filter(state=GrantState.INVITED).exists())
    wait_for(lambda: not Notification.objects.filter(state=NotificationState.PENDING).exists())

    grant = RepoAccessGrant.objects.get()
    assert grant.github_login == REVIEWER_LOGIN
    invitations = gh.repo("acme/captions").invitations
    assert [i.login for i in invitations.values()] == [REVIEWER_LOGIN]
    assert len(mail.outbox) == _emails_expected() > 0
    assert any(partner_admin.email in m.to for m in mail.outbox)
    assert all("/portal/" in m.body or "http" in m.body for m in mail.outbox)


def test_github_5xx_then_recovery_ends_active(celery_worker, gh, draft, partner_admin):
    # Retry-After makes the client hand the 502 straight to the task, which re-queues itself.
    gh.fail_next("PUT */collaborators/*", times=2, status=502, headers={"Retry-After": "1"})

    cert_services.request_submit(request=draft, actor=partner_admin)

    wait_for(lambda: RepoAccessGrant.objects.filter(state=GrantState.INVITED).exists(), 30)
    assert gh.count("PUT */collaborators/*") == 3
    grant = RepoAccessGrant.objects.get()
    gh.accept_invitation(grant.invitation_id)
    access.repo_access_reconcile()
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE
    assert grant.last_error == ""


def test_same_tasks_delivered_twice_one_invitation_one_email(
    celery_worker, gh, draft, partner_admin
):
    cert_services.request_submit(request=draft, actor=partner_admin)
    wait_for(lambda: RepoAccessGrant.objects.filter(state=GrantState.INVITED).exists())
    wait_for(lambda: not Notification.objects.filter(state=NotificationState.PENDING).exists())
    sent = len(mail.outbox)
    note = Notification.objects.filter(state=NotificationState.SENT).first()

    # At-least-once delivery: the broker hands the same messages out again.
    task_sync_repo_access.apply_async(kwargs={"integration_id": draft.integration_id})
    task_deliver_notification.apply_async(kwargs={"notification_id": note.pk})
    task_deliver_notification.apply_async(kwargs={"notification_id": note.pk})
    task_sync_repo_access.apply_async(kwargs={"integration_id": draft.integration_id})
    wait_for(lambda: gh.count("GET */invitations*") >= 3)
    time.sleep(0.5)

    assert gh.count("PUT */collaborators/*") == 1
    assert len(gh.repo("acme/captions").invitations) == 1
    assert len(mail.outbox) == sent


def test_worker_delivers_a_transactions_notifications_in_batches(celery_worker, partner_admin):
    n = delivery.BATCH_SIZE + 10
    with transaction.atomic():
        made = [
            outbox.notify(recipients=[partner_admin], event="request_submit", subject=f"B{i}")[0]
            for i in range(n)
        ]

    wait_for(lambda: not Notification.objects.filter(state=NotificationState.PENDING).exists())
    time.sleep(0.5)  # a duplicate send would land now

    assert sorted(m.subject for m in mail.outbox) == sorted(f"B{i}" for i in range(n))
    rows = Notification.objects.filter(pk__in=[r.pk for r in made])
    assert set(rows.values_list("state", "attempts")) == {(NotificationState.SENT, 1)}


def test_worker_still_runs_single_id_tasks_queued_before_the_upgrade(celery_worker, partner_admin):
    [note] = outbox.notify(recipients=[partner_admin], event="request_submit", subject="Old")
    wait_for(lambda: Notification.objects.get(pk=note.pk).state == NotificationState.SENT)
    # As if its task had been published by the previous release and not yet consumed.
    Notification.objects.filter(pk=note.pk).update(
        state=NotificationState.PENDING, attempts=0, sent_at=None
    )
    mail.outbox.clear()

    task_deliver_notification.apply_async(kwargs={"notification_id": note.pk})
    task_deliver_notification.apply_async(kwargs={"notification_id": note.pk})

    wait_for(lambda: Notification.objects.get(pk=note.pk).state == NotificationState.SENT)
    time.sleep(0.5)
    assert [m.subject for m in mail.outbox] == ["Old"]
