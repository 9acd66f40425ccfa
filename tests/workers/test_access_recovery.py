"""Recovery of GitHub access after a lost worker, in-process: the retry budgets line up with
the lock and the visibility timeout, a sync waiting on the lock gives up visibly, a starting
worker reconciles, and the reconcile reaches unfinished grants first. The end-to-end SIGKILL
case is test_worker_killed.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from certifications import services as cert_services
from config.celery import app as celery_app
from reviews import access, github
from reviews.models import GrantState, RepoAccessGrant
from reviews.tasks import (
    _BUSY_MIN_COUNTDOWN,
    RECONCILE_AFTER_START,
    _busy_retry_limit,
    _countdown,
    _max_countdown,
    reconcile_after_worker_start,
    task_sync_repo_access,
)
from tests.factories import IntegrationFactory
from tests.workers.conftest import REVIEWER_LOGIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(draft, partner_admin):
    return cert_services.request_submit(request=draft, actor=partner_admin)


def test_budgets_outlast_the_lock_and_fit_the_visibility_timeout():
    time_limit = django_settings.CELERY_TASK_TIME_LIMIT
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]

    # A running task is never handed out twice; a killed one returns in minutes.
    assert time_limit < visibility <= 2 * time_limit
    # Waiting for the lock outlasts a live holder's longest run, then its lapse.
    assert _busy_retry_limit() * _BUSY_MIN_COUNTDOWN >= time_limit + access.LOCK_TTL
    # No retry waits so long that Redis hands it out again while a worker holds it.
    hour_long_reset = github.GitHubTransientError("limit", retry_after=3600, rate_limited=True)
    outage = github.GitHubTransientError("503", retry_after=30, status=503)
    assert _countdown(hour_long_reset, 0) <= _max_countdown()
    assert _countdown(outage, 7) <= _max_countdown()
    assert _max_countdown() + time_limit <= visibility
    # The reconcile a starting worker queues waits for the dead holder's locks to lapse.
    assert access.LOCK_TTL < RECONCILE_AFTER_START < visibility


def test_sync_waiting_on_the_lock_gives_up_visibly_after_its_budget(gh, submitted):
    access.repo_access_sync(request=submitted)
    cache.add(access.sync_lock_key(submitted.integration_id), "a-stuck-worker", 60)
    try:
        # Called directly, not eagerly: the task takes its worker path.
        outcome = task_sync_repo_access(
            integration_id=submitted.integration_id, busy_retries=_busy_retry_limit()
        )
    finally:
        cache.delete(access.sync_lock_key(submitted.integration_id))

    assert outcome == "busy"
    assert "already running" in RepoAccessGrant.objects.get().last_error


def test_sync_waiting_on_the_lock_retries_within_its_budget(gh, submitted):
    cache.add(access.sync_lock_key(submitted.integration_id), "another-worker", 60)
    try:
        # Called directly, a retry re-raises what it would retry on.
        with pytest.raises(access.SyncBusy):
            task_sync_repo_access(
                integration_id=submitted.integration_id, busy_retries=_busy_retry_limit() - 1
            )
    finally:
        cache.delete(access.sync_lock_key(submitted.integration_id))


def test_worker_start_queues_a_reconcile_that_finishes_pending_grants(gh, submitted, settings):
    # As a sync killed before its first invitation leaves them: recorded, not on GitHub.
    token, settings.GITHUB_TOKEN = settings.GITHUB_TOKEN, ""
    access.repo_access_sync(request=submitted)
    assert RepoAccessGrant.objects.get().state == GrantState.PENDING
    settings.GITHUB_TOKEN = token

    # In-process (eager) the queued reconcile runs at once instead of after its countdown.
    reconcile_after_worker_start(sender=SimpleNamespace(app=celery_app))

    grant = RepoAccessGrant.objects.get()
    assert grant.state == GrantState.INVITED
    assert grant.github_login == REVIEWER_LOGIN
    assert gh.count("PUT */collaborators/*") == 1


def test_reconcile_reaches_pending_grants_first(partner):
    done = IntegrationFactory(partner=partner, github_repo="acme/one")
    unfinished = IntegrationFactory(partner=partner, github_repo="acme/two")
    RepoAccessGrant.objects.create(integration=done, github_login="a", state=GrantState.ACTIVE)
    RepoAccessGrant.objects.create(
        integration=unfinished, github_login="b", state=GrantState.PENDING
    )

    assert access.repo_access_integrations_to_reconcile() == [unfinished.pk, done.pk]
