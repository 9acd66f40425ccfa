"""Benchmark notification delivery through the outbox with real Celery workers on Redis.

    python manage.py bench_notifications --count 10000

Starts a Celery worker (two prefork processes by default) on a private Redis database,
queues ``--count`` notifications the way the services do (``notify()`` inside a
transaction; delivery tasks are published after commit), waits until every row is sent,
and prints notifications/s and the end-to-end p50/p99 from event (row written) to sent.
E-mail goes to Django's in-memory backend so the mail server is not what is measured.
Its rows and users are deleted afterwards. Needs PostgreSQL and a Redis server.
The worker is ``celery -A config`` (config/celery.py), like ``make worker``."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from certportal.models import Notification, NotificationState
from certportal.outbox import notify
from devtools.bench.processes import child_env, manage_py, redis_client, start_module, stop
from devtools.bench.stats import percentile
from devtools.pg import require_postgresql

DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


class Command(BaseCommand):
    help = "Measure outbox delivery rate and event-to-sent latency with real workers."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, default=10000)
        parser.add_argument("--processes", type=int, default=2, help="worker processes")
        parser.add_argument("--batch", type=int, default=100, help="notifications per commit")
        parser.add_argument("--redis-url", default="", help=f"default {DEFAULT_REDIS}")
        parser.add_argument("--timeout", type=float, default=600.0)

    def handle(self, *args, **opts) -> None:
        require_postgresql("bench_notifications needs PostgreSQL: set DATABASE_URL.")
        redis_url = opts["redis_url"] or settings.REDIS_URL or DEFAULT_REDIS
        if redis_url != settings.REDIS_URL:
            # Publishing must go to Redis, not run eagerly: rerun with the broker configured.
            if "bench_notifications" not in sys.argv:
                raise CommandError(f"Set REDIS_URL (for example {DEFAULT_REDIS}).")
            env = child_env(REDIS_URL=redis_url)
            argv = manage_py(*sys.argv[1:])
            raise SystemExit(subprocess.call(argv, env=env, cwd=settings.BASE_DIR))  # noqa: S603
        count = opts["count"]
        if count < 1:
            raise CommandError("--count must be at least 1")
        # Stale tasks of an earlier interrupted run.
        redis_client(redis_url).delete("celery")
        worker = start_module(
            "celery",
            [
                "-A",
                "config",
                "--quiet",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                str(opts["processes"]),
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"bench-{uuid.uuid4().hex[:6]}@%h",
            ],
            child_env(REDIS_URL=redis_url, EMAIL_URL="memorymail://"),
        )
        tag = uuid.uuid4().hex[:8]
        User = get_user_model()
        users = [
            User.objects.create(username=f"bench-notify-{tag}-{i}", email=f"n{i}@bench.example")
            for i in range(10)
        ]
        try:
            time.sleep(3)  # let the worker connect to the broker
            if worker.poll() is not None:
                raise CommandError("the Celery worker exited during start-up")
            load_before = os.getloadavg()[0]
            produced = self._produce(users, count, opts["batch"], tag)
            self._wait(users, count, opts["timeout"])
            self._report(users, count, produced, opts["processes"])
            # The machine may be shared: a busy neighbour lowers both rates.
            self.stdout.write(
                f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
            )
        finally:
            stop(worker)
            Notification.objects.filter(recipient__in=users).delete()
            User.objects.filter(pk__in=[u.pk for u in users]).delete()

    def _produce(self, users, count: int, batch: int, tag: str) -> float:
        started = time.monotonic()
        made = 0
        while made < count:
            with transaction.atomic():
                for _ in range(min(batch, count - made)):
                    notify(
                        recipients=[users[made % len(users)]],
                        event="bench",
                        subject=f"Benchmark notification {made}",
                        context={"tag": tag},
                        link="/notifications/",
                    )
                    made += 1
        elapsed = time.monotonic() - started
        self.stdout.write(f"Queued {count} notifications in {elapsed:.1f}s")
        return elapsed

    def _wait(self, users, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        rows = Notification.objects.filter(recipient__in=users)
        while time.monotonic() < deadline:
            done = rows.exclude(state=NotificationState.PENDING).count()
            if done >= count:
                return
            time.sleep(0.5)
        raise CommandError(f"only {done} of {count} delivered within {timeout:g}s")

    def _report(self, users, count: int, produced: float, processes: int) -> None:
        rows = list(
            Notification.objects.filter(recipient__in=users).values_list(
                "created_at", "sent_at", "state"
            )
        )
        sent = [(c, s) for c, s, state in rows if state == NotificationState.SENT and s]
        if not sent:
            raise CommandError("nothing was sent")
        first = min(c for c, _ in sent)
        last = max(s for _, s in sent)
        span = max((last - first).total_seconds(), 1e-6)
        latencies = [(s - c).total_seconds() * 1000 for c, s in sent]
        rate = len(sent) / span
        first_sent = min(s for _, s in sent)
        drain = len(sent) / max((last - first_sent).total_seconds(), 1e-6)
        self.stdout.write(
            f"{len(sent)} of {count} sent by {processes} worker processes in {span:.1f}s "
            f"(first event to last sent): {rate:.0f} notifications/s; "
            f"{drain:.0f}/s from first to last sent; producer {count / produced:.0f}/s"
        )
        self.stdout.write(
            f"event → sent latency: p50 {percentile(latencies, 0.5):.0f} ms, "
            f"p99 {percentile(latencies, 0.99):.0f} ms, "
            f"mean {statistics.fmean(latencies):.0f} ms"
        )
