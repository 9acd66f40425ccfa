"""Integration tests with a real Celery worker consuming from Redis (no eager mode).

The worker runs in a thread of this process, so it shares the test database, the fake
GitHub server and the locmem mail outbox."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.core import mail

from certifications import services as cert_services
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
