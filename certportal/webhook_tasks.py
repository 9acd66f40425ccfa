"""Celery entry points for outgoing webhooks (thin wrappers around certportal.webhooks).
Imported by CertportalConfig.ready (celery's autodiscovery finds only `tasks` modules, and
certportal.tasks must not import the webhooks, which publish through the outbox)."""

from __future__ import annotations

from celery import shared_task

from certportal import webhooks


@shared_task(name=webhooks.TASK_DELIVER, acks_late=True, ignore_result=True)
def task_deliver_webhooks(*, delivery_ids: list[int]) -> dict[str, int]:
    return webhooks.deliver_many(delivery_ids)


@shared_task(name="certportal.webhooks.sweep", ignore_result=True)
def task_sweep_webhooks() -> dict[str, int]:
    return webhooks.sweep()
