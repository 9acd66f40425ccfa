"""Celery entry points for the outbox: thin wrappers around certportal.delivery."""

from __future__ import annotations

from celery import shared_task

from certportal import delivery


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
