"""Celery entry points for the outbox (thin wrappers around certportal.delivery) and the
workers' heartbeat that /healthz/ reads (certportal.health)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from certportal import delivery, digest, health

logger = logging.getLogger(__name__)


@shared_task(name="certportal.notifications.deliver_batch", acks_late=True, ignore_result=True)
def task_deliver_notifications(*, notification_ids: list[int]) -> dict[str, int]:
    return delivery.deliver_many(notification_ids)


# Published by releases before batching; kept so tasks still queued at upgrade are delivered.
@shared_task(name="certportal.notifications.deliver", acks_late=True, ignore_result=True)
def task_deliver_notification(*, notification_id: int) -> str:
    return delivery.deliver(notification_id)


@shared_task(name="certportal.notifications.sweep", ignore_result=True)
def task_sweep_outbox() -> int:
    return delivery.sweep()


@shared_task(name="certportal.notifications.send_daily_digest", ignore_result=True)
def task_send_daily_digest() -> int:
    return digest.digest_send_daily()


@shared_task(bind=True, name="certportal.workers.heartbeat", ignore_result=True)
def task_worker_heartbeat(self, *, queue: str) -> None:
    """Beat queues this on every queue each WORKER_HEARTBEAT_SECONDS: running it proves
    beat, the broker and a worker consuming that queue all work, which /healthz/ checks."""
    delivered = (self.request.delivery_info or {}).get("routing_key") or queue
    health.heartbeat_record(queue=delivered, worker=self.request.hostname or "")


@worker_ready.connect(dispatch_uid="certportal.heartbeat_after_worker_start")
def heartbeat_after_worker_start(sender: Any = None, **kwargs: Any) -> None:
    """A started (or restarted) worker reports at once instead of at beat's next tick, so
    /healthz/ turns healthy seconds after a deploy. Never raises: a worker must start even
    with the broker briefly away."""
    consumer_app = getattr(sender, "app", None)
    if consumer_app is None:
        return
    for queue in consumer_app.amqp.queues.consume_from:
        try:
            task_worker_heartbeat.apply_async(kwargs={"queue": queue}, queue=queue, retry=False)
        except Exception:  # broker errors vary by transport; beat's heartbeat follows
            logger.warning("Could not queue the heartbeat after start", exc_info=True)
