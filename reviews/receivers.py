"""React to certification events (sent after commit) by queueing an access sync.

Publishing must never break or slow the page that caused the event: with the broker down
the error is logged and the hourly reconcile (``certportal.reviews.reconcile_repo_access``)
catches up, since it derives access from the database alone."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from certifications.models import CertificationRequest
from certifications.signals import request_reviewer_changed, request_transitioned
from reviews.signals import intake_report_queued, webhook_delivery_queued

logger = logging.getLogger(__name__)

# Transitions that change who should read the repository, or what must exist in it.
SYNC_TRANSITIONS = frozenset(
    {
        "submit",
        "resubmit",
        "intake_ok",
        "cr_pass",
        "docs_pass",
        "publish",
        "withdraw",
        "reject",
        "revoke",
    }
)


def enqueue_repo_access_sync(integration_id: int) -> bool:
    """Queue a sync after the current transaction commits; never raises."""

    def publish() -> None:
        from reviews.tasks import task_sync_repo_access

        try:
            task_sync_repo_access.apply_async(
                kwargs={"integration_id": integration_id}, retry=False
            )
        except Exception:  # broker errors vary by transport; reconcile is the safety net
            logger.warning(
                "Could not queue the access sync of integration %s; the reconcile will",
                integration_id,
                exc_info=True,
            )

    try:
        transaction.on_commit(publish)
    except Exception:
        logger.exception("Could not schedule the access sync of integration %s", integration_id)
        return False
    return True


def _integration_id(request_id: int) -> int | None:
    return (
        CertificationRequest.objects.filter(pk=request_id)
        .values_list("integration_id", flat=True)
        .first()
    )


@receiver(request_transitioned, dispatch_uid="reviews.sync_on_transition")
def sync_on_transition(sender: Any, *, request_id: int, transition: str, **kwargs: Any) -> None:
    """Queue the access sync; after a submit or resubmit, also make sure the commit has its
    intake report. One read of the request serves both."""
    if transition not in SYNC_TRANSITIONS:
        return
    try:
        request = (
            CertificationRequest.objects.select_related("integration").filter(pk=request_id).first()
        )
    except Exception:
        logger.exception("Access sync not queued for request %s", request_id)
        return
    if request is None:
        return
    enqueue_repo_access_sync(request.integration_id)
    if transition in ("submit", "resubmit"):
        intake_report_for(request)


@receiver(request_reviewer_changed, dispatch_uid="reviews.sync_on_reviewer_change")
def sync_on_reviewer_change(sender: Any, *, request_id: int, **kwargs: Any) -> None:
    try:
        integration_id = _integration_id(request_id)
    except Exception:
        logger.exception("Access sync not queued for request %s", request_id)
        return
    if integration_id is not None:
        enqueue_repo_access_sync(integration_id)


def _publish(task_name: str, **kwargs: Any) -> None:
    """Publish a task now (we are after commit already); never raises."""
    from reviews import tasks

    try:
        getattr(tasks, task_name).apply_async(kwargs=kwargs, retry=False)
    except Exception:  # broker errors vary by transport; the row stays queued, visible
        logger.warning("Could not queue %s %s", task_name, kwargs, exc_info=True)


@receiver(intake_report_queued, dispatch_uid="reviews.queue_intake_report")
def queue_intake_report(sender: Any, *, report_id: int, **kwargs: Any) -> None:
    _publish("task_intake_report", report_id=report_id)


@receiver(webhook_delivery_queued, dispatch_uid="reviews.queue_webhook_delivery")
def queue_webhook_delivery(sender: Any, *, delivery_pk: int, **kwargs: Any) -> None:
    _publish("task_github_webhook", delivery_pk=delivery_pk)


def intake_report_for(request: CertificationRequest) -> None:
    """A submitted (or resubmitted) commit gets its intake report, if it has none yet;
    failures are logged, never raised (the submit already succeeded)."""
    from reviews.intake.services import intake_report_ensure

    try:
        intake_report_ensure(
            integration=request.integration,
            commit_sha=request.commit_sha,
            version=request.version,
        )
    except Exception:
        logger.exception("Intake report not queued for request %s", request.pk)


@receiver(request_transitioned, dispatch_uid="reviews.rounds_and_intake")
def record_round_and_assign(
    sender: Any, *, request_id: int, transition: str, **kwargs: Any
) -> None:
    """After a submit or resubmit commits: record the round's commit; after a submit,
    assign a reviewer automatically (issue 15). Failures are logged, never raised: the
    partner's submit already succeeded, and the queue shows the request unassigned."""
    from reviews.services import assignment_auto, review_round_record

    if transition not in ("submit", "resubmit"):
        return
    try:
        review_round_record(request_id=request_id, transition=transition)
    except Exception:
        logger.exception("Review round not recorded for request %s", request_id)
    if transition == "submit":
        try:
            assignment_auto(request_id=request_id)
        except Exception:
            logger.exception("Automatic assignment failed for request %s", request_id)
