"""Celery entry points for GitHub repository access and SLA reminders (thin wrappers).

Every task takes ids, re-reads its rows, calls one service and is safe to run twice
(``acks_late``: a worker lost mid-task means the task runs again — after the broker's
visibility timeout, or sooner through the reconcile a restarted worker queues)."""

from __future__ import annotations

import logging
import math
import random
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from certifications.models import Integration
from reviews import access, github, metrics, reminders

logger = logging.getLogger(__name__)

MAX_RETRIES = 8  # GitHub failures; waiting for the lock has its own budget
_BUSY_MIN_COUNTDOWN = 5
_BUSY_JITTER = 5
# A restarted worker reconciles once every lock a killed worker held has lapsed.
RECONCILE_AFTER_START = access.LOCK_TTL + 5


def _max_countdown() -> int:
    """The longest a retry may wait. Redis hands a task out again once it has been
    unacknowledged for the visibility timeout, and a worker holds a retry unacknowledged
    from its arrival until it has run: the countdown plus the run (at most the hard time
    limit) must stay inside that window, or a live worker's retry runs twice."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    return max(1, int(visibility - settings.CELERY_TASK_TIME_LIMIT))


def _countdown(exc: github.GitHubTransientError, retries: int) -> int:
    """Wait what GitHub asked for a rate limit; back off exponentially from its hint for
    outages, with jitter so a burst of failed tasks does not return all at once. Capped by
    ``_max_countdown``: a longer wait (an hour's rate-limit reset) is retried in steps, and
    after ``MAX_RETRIES`` left to the hourly reconcile."""
    jitter = random.uniform(0, 1)  # noqa: S311 - jitter only
    if exc.rate_limited:
        wait = exc.retry_after + 1 + jitter
    else:
        wait = max(exc.retry_after, 1) * 2**retries + jitter
    return int(min(_max_countdown(), wait))


def _busy_retry_limit() -> int:
    """Retries a sync waits for the repository's lock: long enough to outlast a live holder
    (a sync runs at most the hard time limit) and then a dead one's lock (``LOCK_TTL``).

    A sync must not give up sooner: the one running computed its access before the event
    that queued this one (a new reviewer, a closed request), so it may not cover it."""
    wait = settings.CELERY_TASK_TIME_LIMIT + access.LOCK_TTL
    return math.ceil(wait / _BUSY_MIN_COUNTDOWN)


@shared_task(
    bind=True,
    name="certportal.reviews.sync_repo_access",
    acks_late=True,
    ignore_result=True,
    # Both budgets are counted below: MAX_RETRIES for GitHub, _busy_retry_limit() for the lock.
    max_retries=None,
)
def task_sync_repo_access(self, *, integration_id: int, busy_retries: int = 0) -> str:
    """Grant/revoke the reviewers' read access to one integration's repository.

    ``busy_retries`` counts the retries spent waiting for the lock, so that waiting on a
    long sync does not use up the GitHub retry budget (and the reverse)."""
    integration = Integration.objects.filter(pk=integration_id).first()
    if integration is None:
        logger.info("Integration %s is gone; nothing to sync", integration_id)
        return "gone"
    try:
        result = access.repo_access_sync(integration=integration)
    except access.SyncBusy as exc:
        if self.request.is_eager:
            return "busy"
        if busy_retries >= _busy_retry_limit():
            # A lock held this long is a bug or a stuck worker; show it and let the
            # hourly reconcile try again.
            access.repo_access_record_transient(integration_id=integration_id, error=str(exc))
            logger.warning("Access sync of integration %s gave up waiting: %s", integration_id, exc)
            return "busy"
        raise self.retry(
            exc=exc,
            kwargs={"integration_id": integration_id, "busy_retries": busy_retries + 1},
            countdown=_BUSY_MIN_COUNTDOWN + random.uniform(0, _BUSY_JITTER),  # noqa: S311
        ) from exc
    except github.GitHubTransientError as exc:
        access.repo_access_record_transient(integration_id=integration_id, error=str(exc))
        github_retries = self.request.retries - busy_retries
        if self.request.is_eager or github_retries >= MAX_RETRIES:
            # In-process runs never sleep; the hourly reconcile picks it up.
            logger.warning("Access sync of integration %s postponed: %s", integration_id, exc)
            return "postponed"
        raise self.retry(exc=exc, countdown=_countdown(exc, github_retries)) from exc
    return result.error or "ok"


@shared_task(
    bind=True, name="certportal.reviews.reconcile_repo_access", acks_late=True, ignore_result=True
)
def task_reconcile_repo_access(self) -> dict:
    """Hourly, and after a worker starts: bring every repository's access back in line
    (drift, expiry, idle revoke, and syncs a killed worker left unfinished)."""
    return access.repo_access_reconcile()


@worker_ready.connect(dispatch_uid="reviews.reconcile_after_worker_start")
def reconcile_after_worker_start(sender: Any = None, **kwargs: Any) -> None:
    """Queue a reconcile ``RECONCILE_AFTER_START`` seconds after this worker starts.

    A start may be a restart after a crash (SIGKILL, OOM, a lost host). The tasks the dead
    worker held come back only after the broker's visibility timeout (minutes); this brings
    the repositories it was syncing back in line within a minute of the restart, once its
    locks have lapsed. Queued on a queue this worker consumes — it is the one known to be
    alive. Never raises: a worker must start even with the broker briefly away."""
    consumer_app = getattr(sender, "app", None)
    queues = list(consumer_app.amqp.queues.consume_from) if consumer_app is not None else []
    options = {"queue": queues[0]} if queues else {}
    try:
        task_reconcile_repo_access.apply_async(
            countdown=RECONCILE_AFTER_START, retry=False, **options
        )
    except Exception:  # broker errors vary by transport; the hourly reconcile remains
        logger.warning("Could not queue the access reconcile after start", exc_info=True)


@shared_task(
    bind=True, name="certportal.reviews.send_sla_reminders", acks_late=True, ignore_result=True
)
def task_send_sla_reminders(self) -> int:
    """Daily: due-soon and overdue reminders, once per request and threshold."""
    return reminders.sla_reminders_send()


@shared_task(
    bind=True, name="certportal.reviews.refresh_metrics", acks_late=True, ignore_result=True
)
def task_refresh_metrics(self) -> None:
    """Every few minutes: recompute the program metrics summary the metrics page reads."""
    metrics.refresh_summary()


@shared_task(
    bind=True,
    name="certportal.reviews.intake_report",
    acks_late=True,
    ignore_result=True,
    max_retries=None,  # counted below against MAX_RETRIES
)
def task_intake_report(self, *, report_id: int) -> str:
    """Compute one intake report (reviews.intake). Permanent GitHub refusals are recorded
    on the report for the partner and the reviewer; rate limits and outages re-queue it
    with the access sync's backoff."""
    from celery.exceptions import SoftTimeLimitExceeded

    from reviews.intake import services as intake

    try:
        report = intake.intake_report_compute(report_id=report_id)
    except github.GitHubNotConfigured as exc:
        intake.intake_report_mark_failed(report_id=report_id, error=str(exc))
        return "not_configured"
    except github.GitHubPermanentError as exc:
        intake.intake_report_mark_failed(report_id=report_id, error=exc.reason)
        return "failed"
    except SoftTimeLimitExceeded:
        intake.intake_report_mark_failed(
            report_id=report_id,
            error="The check took longer than the time limit; it can be run again.",
        )
        return "failed"
    except github.GitHubTransientError as exc:
        if self.request.is_eager or self.request.retries >= MAX_RETRIES:
            intake.intake_report_mark_failed(
                report_id=report_id, error=f"{exc} Run the check again later."
            )
            return "postponed"
        intake.intake_report_mark_waiting(report_id=report_id, error=str(exc))
        raise self.retry(exc=exc, countdown=_countdown(exc, self.request.retries)) from exc
    return "gone" if report is None else report.status


@shared_task(
    bind=True, name="certportal.reviews.github_webhook", acks_late=True, ignore_result=True
)
def task_github_webhook(self, *, delivery_pk: int) -> str:
    """Act on one recorded GitHub webhook delivery (reviews.webhooks)."""
    from reviews import webhooks

    result = webhooks.webhook_process(delivery_pk=delivery_pk)
    delivery = result.delivery
    if delivery is None:
        return "gone"
    if result.sync_access:
        try:
            task_sync_repo_access.apply_async(
                kwargs={"integration_id": delivery.integration_id}, retry=False
            )
        except Exception:  # the hourly reconcile is the safety net
            logger.warning("Could not queue the access sync after %s", delivery, exc_info=True)
    return delivery.status
