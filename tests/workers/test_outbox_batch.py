"""Batched outbox delivery: deliver_many() claims, sends and records a batch of rows in one
transaction over one e-mail connection, and a transaction's rows are published in tasks
of up to BATCH_SIZE ids."""

from __future__ import annotations

import base64
import json
import math
import smtplib
import threading
import time

import pytest
import redis
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone

from certportal import delivery, outbox
from certportal.models import Notification, NotificationState
from tests.conftest import require_service
from tests.factories import UserFactory
from tests.workers.conftest import broker_at

pytestmark = pytest.mark.django_db

BOUNCING = "bounce@example.com"


class CountingBackend(BaseEmailBackend):
    """An SMTP stand-in: refuses BOUNCING like a real server would (550), keeps the rest in
    mail.outbox and counts the connections opened."""

    opened = 0
    delay = 0.0

    def open(self):
        type(self).opened += 1
        return True

    def send_messages(self, messages):
        for message in messages:
            if BOUNCING in message.to:
                raise smtplib.SMTPRecipientsRefused({BOUNCING: (550, b"No such user")})
            time.sleep(self.delay)
            message.message()  # header validation, as on the wire
            mail.outbox.append(message)
        return len(messages)


@pytest.fixture
def counting_backend(settings):
    settings.EMAIL_BACKEND = "tests.workers.test_outbox_batch.CountingBackend"
    CountingBackend.opened = 0
    CountingBackend.delay = 0.0
    mail.outbox = []
    return CountingBackend


def _pending(users, *, critical: bool = True, event: str = "request_submit") -> list[int]:
    """One pending row per user. Non-transactional tests never commit, so the on-commit
    delivery does not run and the rows stay pending."""
    ids = []
    for i, user in enumerate(users):
        [row] = outbox.notify(
            recipients=[user], event=event, subject=f"Note {i}", critical=critical
        )
        ids.append(row.pk)
    return ids


def _published(url: str) -> list[tuple[str, dict]]:
    """(task name, kwargs) of every task message waiting in the default Redis queue."""
    client = redis.Redis.from_url(url)
    try:
        raw = client.lrange("celery", 0, -1)
    finally:
        client.close()
    tasks = []
    for item in reversed(raw):  # LPUSH: the oldest message is last
        message = json.loads(item)
        _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        tasks.append((message["headers"]["task"], kwargs))
    return tasks


# --- deliver_many -------------------------------------------------------------------------


def test_deliver_many_sends_each_row_once_over_one_connection(counting_backend):
    users = [UserFactory() for _ in range(5)]
    ids = _pending(users)

    counts = delivery.deliver_many(ids)
    again = delivery.deliver_many(ids)

    assert counts == {NotificationState.SENT: 5}
    assert again == {}
    assert counting_backend.opened == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    rows = Notification.objects.filter(pk__in=ids)
    assert {(r.state, r.attempts, r.last_error) for r in rows} == {(NotificationState.SENT, 1, "")}
    assert all(r.sent_at is not None for r in rows)


def test_deliver_many_failing_message_leaves_only_that_row_pending(counting_backend):
    users = [UserFactory(), UserFactory(email=BOUNCING), UserFactory()]
    ids = _pending(users)

    counts = delivery.deliver_many(ids)

    assert counts == {NotificationState.SENT: 2, NotificationState.PENDING: 1}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([users[0].email, users[2].email])
    bounced = Notification.objects.get(recipient=users[1])
    assert bounced.state == NotificationState.PENDING
    assert bounced.attempts == 1
    assert "SMTPRecipientsRefused" in bounced.last_error
    assert bounced.sent_at is None
    assert set(Notification.objects.exclude(pk=bounced.pk).values_list("state", "attempts")) == {
        (NotificationState.SENT, 1)
    }


def test_deliver_many_fails_a_row_for_good_at_max_attempts(counting_backend):
    [bounced_id, ok_id] = _pending([UserFactory(email=BOUNCING), UserFactory()])
    Notification.objects.filter(pk=bounced_id).update(attempts=delivery.MAX_ATTEMPTS - 1)

    counts = delivery.deliver_many([bounced_id, ok_id])

    assert counts == {NotificationState.FAILED: 1, NotificationState.SENT: 1}
    bounced = Notification.objects.get(pk=bounced_id)
    assert bounced.state == NotificationState.FAILED
    assert bounced.attempts == delivery.MAX_ATTEMPTS
    assert "No such user" in bounced.last_error
    assert delivery.deliver_many([bounced_id]) == {}


def test_deliver_many_mail_server_down_keeps_all_pending(settings):
    settings.EMAIL_BACKEND = "tests.workers.test_tasks.BrokenBackend"
    ids = _pending([UserFactory(), UserFactory()])

    counts = delivery.deliver_many(ids)

    assert counts == {NotificationState.PENDING: 2}
    rows = Notification.objects.filter(pk__in=ids)
    assert {(r.state, r.attempts) for r in rows} == {(NotificationState.PENDING, 1)}
    assert all("SMTP is down" in r.last_error for r in rows)


def test_deliver_many_skips_opted_out_and_address_less_recipients(counting_backend):
    opted_out, keen, no_address = UserFactory(), UserFactory(), UserFactory(email="")
    outbox.preferences_save(user=opted_out, email_noncritical=False)
    noncritical = _pending([opted_out, keen, no_address], critical=False)
    critical = _pending([opted_out], event="request_reject")

    counts = delivery.deliver_many(noncritical + critical)

    assert counts == {NotificationState.SKIPPED: 2, NotificationState.SENT: 2}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([keen.email, opted_out.email])
    states = dict(Notification.objects.values_list("pk", "state"))
    assert states == {
        noncritical[0]: NotificationState.SKIPPED,
        noncritical[1]: NotificationState.SENT,
        noncritical[2]: NotificationState.SKIPPED,
        critical[0]: NotificationState.SENT,
    }
    assert Notification.objects.get(pk=noncritical[0]).attempts == 0


def test_deliver_many_query_count_does_not_grow_with_rows(
    counting_backend, django_assert_max_num_queries
):
    users = [UserFactory() for _ in range(20)]
    outbox.preferences_save(user=users[0], email_noncritical=False)
    few = _pending(users[:2], critical=False)
    many = _pending(users, critical=False)

    with django_assert_max_num_queries(6) as captured:
        delivery.deliver_many(few)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        counts = delivery.deliver_many(many)

    assert counts == {NotificationState.SKIPPED: 1, NotificationState.SENT: 19}


def test_deliver_many_leaves_rows_to_the_sweep_when_mail_is_too_slow(counting_backend, monkeypatch):
    ids = _pending([UserFactory() for _ in range(4)])
    counting_backend.delay = 0.3
    monkeypatch.setattr(delivery, "SEND_BUDGET_SECONDS", 0.5)

    counts = delivery.deliver_many(ids)

    assert counts == {NotificationState.SENT: 2, NotificationState.PENDING: 2}
    untouched = Notification.objects.filter(state=NotificationState.PENDING)
    assert set(untouched.values_list("attempts", "last_error")) == {(0, "")}


def test_deliver_wrapper_keeps_its_return_values(counting_backend):
    [sent_id, bounced_id] = _pending([UserFactory(), UserFactory(email=BOUNCING)])

    assert delivery.deliver(sent_id) == NotificationState.SENT
    assert delivery.deliver(sent_id) == "skipped"
    assert delivery.deliver(bounced_id) == NotificationState.PENDING
    assert delivery.deliver(999_999_999) == "skipped"


def test_sweep_delivers_old_rows_in_batches(counting_backend):
    user = UserFactory()
    count = delivery.BATCH_SIZE * 2 + 7
    for i in range(count):
        outbox.notify(recipients=[user], event="request_submit", subject=f"Old {i}")
    Notification.objects.update(created_at=timezone.now() - timezone.timedelta(minutes=2))

    assert delivery.sweep() == count
    assert delivery.sweep() == 0
    assert len(mail.outbox) == count
    assert counting_backend.opened == 3  # one connection per batch


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_batches_on_overlapping_ids_send_each_row_once(counting_backend):
    require_service(
        "PostgreSQL", connection.vendor == "postgresql", "row locks need DATABASE_URL=postgres://"
    )
    users = [UserFactory() for _ in range(8)]
    rows = [
        outbox.notify(recipients=[users[i % 8]], event="request_submit", subject=f"N{i}")[0]
        for i in range(60)
    ]
    ids = [row.pk for row in rows]
    # The eager on-commit delivery already sent them; make them pending again for the race.
    Notification.objects.filter(pk__in=ids).update(
        state=NotificationState.PENDING, attempts=0, sent_at=None
    )
    mail.outbox = []
    # Each thread asks for 30 ids, every id is asked for by two threads.
    shares = [ids[0:30], ids[15:45], ids[30:60], ids[45:60] + ids[0:15]]
    barrier = threading.Barrier(len(shares))
    results: list[dict[str, int]] = []

    def run(share: list[int]) -> None:
        barrier.wait()
        try:
            results.append(delivery.deliver_many(share))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(results) == len(shares)
    assert sum(r.get(NotificationState.SENT, 0) for r in results) == 60
    assert len(mail.outbox) == 60
    assert sorted(m.subject for m in mail.outbox) == sorted(f"N{i}" for i in range(60))
    assert set(Notification.objects.filter(pk__in=ids).values_list("state", "attempts")) == {
        (NotificationState.SENT, 1)
    }


# --- Publishing ----------------------------------------------------------------------------


def test_enqueue_publishes_one_task_per_batch(redis_broker):
    ids = list(range(1, 121))

    with broker_at(redis_broker):
        outbox._enqueue(ids)

    tasks = _published(redis_broker)
    assert len(tasks) == math.ceil(len(ids) / delivery.BATCH_SIZE) == 3
    assert {name for name, _ in tasks} == {"certportal.notifications.deliver_batch"}
    assert [len(kw["notification_ids"]) for _, kw in tasks] == [50, 50, 20]
    assert [i for _, kw in tasks for i in kw["notification_ids"]] == ids


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_transaction_of_notify_calls_publishes_ceil_n_over_batch_tasks(redis_broker):
    user = UserFactory()
    n = 120
    with broker_at(redis_broker):
        with transaction.atomic():
            made = [
                outbox.notify(recipients=[user], event="request_submit", subject=f"E{i}")[0]
                for i in range(n)
            ]
        outbox.publisher_drain()  # publishing is off the request's thread

    tasks = _published(redis_broker)
    assert len(tasks) == math.ceil(n / delivery.BATCH_SIZE)
    assert sorted(i for _, kw in tasks for i in kw["notification_ids"]) == [r.pk for r in made]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rolled_back_savepoint_loses_no_committed_row(redis_broker, counting_backend):
    user = UserFactory()
    with broker_at(redis_broker):
        with transaction.atomic():
            [first] = outbox.notify(recipients=[user], event="request_submit", subject="A")
            try:
                with transaction.atomic():
                    outbox.notify(recipients=[user], event="request_submit", subject="B")
                    raise RuntimeError("the event failed")
            except RuntimeError:
                pass
            [last] = outbox.notify(recipients=[user], event="request_submit", subject="C")
        outbox.publisher_drain()

    published = [i for _, kw in _published(redis_broker) for i in kw["notification_ids"]]
    assert {first.pk, last.pk} <= set(published)
    counts: dict[str, int] = {}
    for _, kw in _published(redis_broker):
        for state, n in delivery.deliver_many(kw["notification_ids"]).items():
            counts[state] = counts.get(state, 0) + n
    assert counts == {NotificationState.SENT: 2}
    assert sorted(m.subject for m in mail.outbox) == ["A", "C"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_separate_transactions_publish_separately(redis_broker):
    user = UserFactory()
    with broker_at(redis_broker):
        for label in ("one", "two"):
            with transaction.atomic():
                outbox.notify(recipients=[user], event="request_submit", subject=label)
        with transaction.atomic():
            outbox.notify(recipients=[user], event="request_submit", subject="lost")
            transaction.set_rollback(True)
        with transaction.atomic():
            [third] = outbox.notify(recipients=[user], event="request_submit", subject="three")
        outbox.publisher_drain()

    batches = [kw["notification_ids"] for _, kw in _published(redis_broker)]
    assert len(batches) == 3
    assert batches[-1] == [third.pk]  # no id of the rolled-back transaction rides along
