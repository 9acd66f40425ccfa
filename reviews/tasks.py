"""Celery entry points for GitHub repository access and SLA reminders (thin wrappers).

Every task takes ids, re-reads its rows, calls one service and is safe to run twice
(``acks_late``: a worker lost mid-task means the task runs again)."""

from __future__ import annotations

import logging
import random

from celery import shared_task

from certifications.models import Integration
from reviews import access, github, metrics, reminders

logger = logging.getLogger(__name__)

MAX_RETRIES = 8
_BACKOFF_CAP = 3600


def _countdown(exc: github.GitHubTransientError, retries: int) -> int:
    """Wait what GitHub asked for a rate limit; back off exponentially from its hint for
    outages, with jitter so a burst of failed tasks does not return all at once."""
    jitter = random.uniform(0, 1)  # noqa: S311 - jitter only
    if exc.rate_limited:
        return int(exc.retry_after + 1 + jitter)
    return int(min(_BACKOFF_CAP, max(exc.retry_after, 1) * 2**retries) + jitter)


@shared_task(
    bind=True,
    name="certportal.reviews.sync_repo_access",
    acks_late=True,
    ignore_result=True,
    max_retries=MAX_RETRIES,
)
def task_sync_repo_access(self, *, integration_id: int) -> str:
    """Grant/revoke the reviewers' read access to one integration's repository."""
    integration = Integration.objects.filter(pk=integration_id).first()
    if integration is None:
        logger.info("Integration %s is gone; nothing to sync", integration_id)
        return "gone"
    try:
        result = access.repo_access_sync(integration=integration)
    except access.SyncBusy as exc:
        if self.request.is_eager:
            return "busy"
        raise self.retry(exc=exc, countdown=5 + random.randint(0, 5)) from exc  # noqa: S311
    except github.GitHubTransientError as exc:
        access.repo_access_record_transient(integration_id=integration_id, error=str(exc))
        if self.request.is_eager or self.request.retries >= MAX_RETRIES:
            # In-process runs never sleep; the hourly reconcile picks it up.
            logger.warning("Access sync of integration %s postponed: %s", integration_id, exc)
            return "postponed"
        raise self.retry(exc=exc, countdown=_countdown(exc, self.request.retries)) from exc
    return result.error or "ok"


@shared_task(
    bind=True, name="certportal.reviews.reconcile_repo_access", acks_late=True, ignore_result=True
)
def task_reconcile_repo_access(self) -> dict:
    """Hourly: bring every repository's access back in line (drift, expiry, idle revoke)."""
    return access.repo_access_reconcile()


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
