"""Celery tasks: in-process behaviour, and fault tests (GitHub errors, Redis down)."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from certifications import services as cert_services
from certifications.enums import RequestState
from certifications.models import CertificationRequest
from certportal import delivery, outbox
from certportal.models import Notification, NotificationState
from certportal.tasks import task_deliver_notification
from reviews import access
from reviews.models import GrantState, RepoAccessGrant
from reviews.tasks import task_reconcile_repo_access, task_sync_repo_access
from tests.workers.conftest import CLOSED_PORT_BROKER, REVIEWER_LOGIN, broker_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(draft, partner_admin):
    return cert_services.request_submit(request=draft, actor=partner_admin)


def test_submit_enqueues_sync_after_commit(
    gh, draft, partner_admin, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cert_services.request_submit(request=draft, actor=partner_admin)

    grant = RepoAccessGrant.objects.get()
    assert grant.github_login == REVIEWER_LOGIN
    assert grant.state == GrantState.INVITED
    assert grant.request_id == draft.pk


def test_permanent_404_fails_without_retry_storm(gh, submitted, partner_admin, eager_celery):
    gh.delete_repo("acme/captions")

    for _ in range(2):  # a redelivered task must not multiply calls or notices
        outcome = task_sync_repo_access.apply(
            kwargs={"integration_id": submitted.integration_id}
        ).get()

    grant = RepoAccessGrant.objects.get()
    assert grant.state == GrantState.FAILED
    assert "was not found" in grant.last_error
    assert "was not found" in outcome
    assert gh.count("*") == 2  # one lookup per run, no retries
    notes = Notification.objects.filter(event="github_access_failed")
    assert list(notes.values_list("recipient", flat=True)) == [partner_admin.pk]


def test_transient_error_keeps_grant_pending_with_error_then_reconcile_recovers(
    gh, submitted, eager_celery
):
    gh.fail_next("PUT */collaborators/*", times=10, status=503)

    outcome = task_sync_repo_access.apply(kwargs={"integration_id": submitted.integration_id}).get()

    assert outcome == "postponed"
    grant = RepoAccessGrant.objects.get()
    assert grant.state == GrantState.PENDING
    assert "unavailable" in grant.last_error
    gh.clear_faults()

    task_reconcile_repo_access.apply().get()

    grant.refresh_from_db()
    assert grant.state == GrantState.INVITED
    assert grant.last_error == ""


def test_sync_of_deleted_integration_is_a_no_op(eager_celery, db):
    assert task_sync_repo_access.apply(kwargs={"integration_id": 999999}).get() == "gone"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redis_down_submission_is_saved_fast_and_swept_once_later(
    gh, draft, partner_admin, partner_developer, settings
):
    # partner_developer is notified of the admin's submission (nobody is of their own).
    mail.outbox.clear()
    with broker_at(CLOSED_PORT_BROKER):
        started = time.monotonic()
        cert_services.request_submit(request=draft, actor=partner_admin)
        elapsed = time.monotonic() - started

    assert elapsed < 5
    assert CertificationRequest.objects.get(pk=draft.pk).state == RequestState.SUBMITTED
    pending = Notification.objects.filter(state=NotificationState.PENDING)
    assert pending.exists()
    assert len(mail.outbox) == 0
    expected = pending.exclude(recipient__email="").count()

    # Redis is back: the periodic jobs catch up.
    pending.update(created_at=timezone.now() - timezone.timedelta(minutes=1))
    delivery.sweep()
    delivery.sweep()
    access.repo_access_reconcile()

    assert len(mail.outbox) == expected > 0
    assert not Notification.objects.filter(state=NotificationState.PENDING).exists()
    assert RepoAccessGrant.objects.get().state == GrantState.INVITED


def test_same_notification_delivered_twice_sends_one_email(submitted, eager_celery):
    note = Notification.objects.filter(recipient__email__gt="").first()
    mail.outbox.clear()

    task_deliver_notification.apply(kwargs={"notification_id": note.pk})
    task_deliver_notification.apply(kwargs={"notification_id": note.pk})

    assert len(mail.outbox) == 1
    note.refresh_from_db()
    assert note.state == NotificationState.SENT
    assert note.attempts == 1


def test_noncritical_email_respects_preference(submitted, partner_admin):
    outbox.preferences_save(user=partner_admin, email_noncritical=False)
    [note] = outbox.notify(
        recipients=[partner_admin], event="request_intake_ok", subject="x", critical=False
    )
    [critical] = outbox.notify(
        recipients=[partner_admin], event="request_reject", subject="y", critical=True
    )
    mail.outbox.clear()

    assert delivery.deliver(note.pk) == NotificationState.SKIPPED
    assert delivery.deliver(critical.pk) == NotificationState.SENT
    assert len(mail.outbox) == 1


def test_mail_failure_is_retried_then_failed_visibly(submitted, partner_admin, settings):
    settings.EMAIL_BACKEND = "tests.workers.test_tasks.BrokenBackend"
    [note] = outbox.notify(recipients=[partner_admin], event="request_reject", subject="y")

    for _ in range(delivery.MAX_ATTEMPTS):
        delivery.deliver(note.pk)

    note.refresh_from_db()
    assert note.state == NotificationState.FAILED
    assert "SMTP is down" in note.last_error
    assert note.attempts == delivery.MAX_ATTEMPTS


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP is down")
