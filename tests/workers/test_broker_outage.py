"""Issue 20, item 1: the worker survives a broker outage while it holds unacknowledged
messages, and the outbox then delivers every notification exactly once.

A real `celery -A config worker` (prefork, two processes, as production runs it) consumes
from a Redis server of this test's own, which the test crashes (SHUTDOWN NOSAVE) and brings
back while the worker holds ETA tasks, the state in which celery 5.7.0 died with
``AttributeError: 'NoneType' object has no attribute 'hostname'`` (see pyproject.toml)."""

from __future__ import annotations

import time
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from certportal import outbox
from certportal.models import Notification, NotificationState
from certportal.tasks import task_deliver_notifications, task_sweep_outbox
from tests.conftest import require_service
from tests.factories import UserFactory
from tests.workers.conftest import broker_at
from tests.workers.processes import (
    celery_process,
    private_redis,
    process_env,
    sent_subjects,
    wait_for,
)

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HELD = 20  # delivery tasks the worker holds, unacknowledged, when Redis goes away
DURING = 5  # notifications written while Redis is down (left to the sweep)
ETA_SECONDS = 8


@pytest.fixture
def shared_database():
    # The worker is another process: it must see the rows this test commits.
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "a worker subprocess shares the test database only on PostgreSQL",
    )


@pytest.mark.slow(seconds=12)
def test_worker_survives_redis_crash_with_eta_tasks_held_and_delivers_each_once(
    shared_database, tmp_path
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    user = UserFactory()
    held = Notification.objects.bulk_create(
        Notification(recipient=user, event="request_submit", subject=f"Held {i}", body_text="x")
        for i in range(HELD)
    )

    with private_redis(tmp_path) as server:
        env = process_env(redis_url=server.url(), mail_dir=mail_dir)
        name = f"outage-{uuid.uuid4().hex[:8]}@%h"
        with (
            celery_process(
                ["worker", "--loglevel", "INFO", "--concurrency", "2", "--hostname", name],
                env=env,
                log=tmp_path / "worker.log",
                ready=r" ready\.",
            ) as worker,
            broker_at(server.url()),
        ):
            # Busy: each row's delivery is a retry waiting for its ETA, reserved by the
            # worker and unacknowledged (the ack-emulation hash in Redis holds them).
            for row in held:
                task_deliver_notifications.apply_async(
                    kwargs={"notification_ids": [row.pk]}, countdown=ETA_SECONDS
                )
            # (>=: the worker may hold tasks of its own, e.g. a reconcile queued at start)
            wait_for(lambda: server.client().hlen("unacked") >= HELD, 15, "tasks reserved")

            server.stop()
            wait_for(lambda: worker.count("Connection to broker lost") >= 1, 15, "loss seen")
            # Written while Redis is down: publishing fails, the rows wait for the sweep.
            with transaction.atomic():
                during = [
                    outbox.notify(recipients=[user], event="request_submit", subject=f"Down {i}")[0]
                    for i in range(DURING)
                ]
            outbox.publisher_drain()
            time.sleep(2)
            assert worker.alive, worker.text()[-4000:]

            server.start()
            wait_for(lambda: worker.count("Connected to redis") >= 2, 30, "reconnected")
            every = [row.pk for row in (*held, *during)]
            pending = Notification.objects.filter(pk__in=every, state=NotificationState.PENDING)

            def swept() -> bool:
                # What beat's "outbox-sweep" does every minute, sooner: rows are backdated
                # past the sweep's 10 s grace instead of waiting for it.
                pending.update(created_at=timezone.now() - timezone.timedelta(minutes=1))
                task_sweep_outbox.apply_async()
                deadline = time.monotonic() + 4
                while time.monotonic() < deadline and pending.exists():
                    time.sleep(0.2)
                return not pending.exists()

            wait_for(swept, 40, "every notification sent")
            time.sleep(ETA_SECONDS / 2)  # a second send of a held task would land by now

            assert worker.alive, worker.text()[-4000:]
            assert "Unrecoverable error" not in worker.text()

    expected = sorted([f"Held {i}" for i in range(HELD)] + [f"Down {i}" for i in range(DURING)])
    assert sorted(sent_subjects(mail_dir)) == expected  # each exactly once
    rows = Notification.objects.filter(pk__in=every)
    assert set(rows.values_list("state", "attempts")) == {(NotificationState.SENT, 1)}
