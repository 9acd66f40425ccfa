"""Celery's settings, the CELERY_ namespace config/settings.py star-imports (kept apart so
each file reads as one thing). Read from the environment like the rest of the settings;
config/settings.py has already loaded `.env` into it."""

from __future__ import annotations

import environ

_env = environ.Env()

CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = _env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = _env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# A page must never hang because the broker is down: publishing gives up quickly and
# the outbox sweep delivers later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker (and beat) waits out a broker outage of any length instead of exiting after
# celery's default of 100 reconnection attempts (~45 minutes of backoff); a process that
# dies anyway is restarted by its supervisor (docs/operations.md, "Failure modes").
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # acks_late tasks come back after this long if their worker is killed mid-task: the
    # longest task (the hard time limit) plus a minute for hand-over and clock skew, so a
    # running task is never handed out twice and a lost one returns in minutes. Retry
    # countdowns stay under it minus the time limit (reviews.tasks._max_countdown).
    "visibility_timeout": _env.int(
        "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 60
    ),
    # kombu 5.7 looks for such tasks on every 10th 10-second tick; look on every tick.
    "unacked_restore_throttle": 1,
    "max_retries": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_TASK_PUBLISH_RETRY = False
# Celery's Django fixup closes the database connection around every task unless this is
# set; reconnecting to PostgreSQL per task capped delivery near 80 notifications/s.
CELERY_DB_REUSE_MAX = _env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_BEAT_SCHEDULE: dict = {
    # Delivers notifications whose task was lost (broker down at commit time).
    "outbox-sweep": {"task": "certportal.notifications.sweep", "schedule": 60.0},
    # Sends webhook deliveries that are due and whose task was lost (or is a retry).
    "webhook-sweep": {"task": "certportal.webhooks.sweep", "schedule": 60.0},
    # Brings GitHub repository access back in line with the database.
    "github-access-reconcile": {
        "task": "certportal.reviews.reconcile_repo_access",
        "schedule": 3600.0,
    },
    "sla-reminders": {"task": "certportal.reviews.send_sla_reminders", "schedule": 86400.0},
    # Keeps the metrics page's summary fresh (see METRICS_SUMMARY_SECONDS).
    "metrics-summary": {"task": "certportal.reviews.refresh_metrics", "schedule": 120.0},
    "agreement-expiry-reminders": {
        "task": "certportal.partners.agreement_expiry_reminders",
        "schedule": 86400.0,
    },
    "agreements-expire-due": {
        "task": "certportal.partners.agreements_expire_due",
        "schedule": 86400.0,
    },
    # The managers' overview's stored sort keys: what the calendar changes (issue 19).
    "overview-keys-refresh": {
        "task": "certportal.certifications.refresh_overview_keys",
        "schedule": 86400.0,
    },
    # The daily summary e-mail of people who chose it (certportal.digest).
    "daily-digest": {"task": "certportal.notifications.send_daily_digest", "schedule": 86400.0},
}
# Workers' heartbeat (certportal.health): beat queues one on each queue every
# WORKER_HEARTBEAT_SECONDS; /healthz/ answers 503 "stale" when a queue's last one is older
# than WORKER_HEARTBEAT_STALE_SECONDS (its workers dead or that far behind, or beat down).
WORKER_HEARTBEAT_SECONDS = _env.int("WORKER_HEARTBEAT_SECONDS", default=30)
WORKER_HEARTBEAT_STALE_SECONDS = _env.int(
    "WORKER_HEARTBEAT_STALE_SECONDS", default=4 * WORKER_HEARTBEAT_SECONDS
)
# Every queue some worker must consume (only celery's default one so far).
WORKER_HEARTBEAT_QUEUES = _env.list("WORKER_HEARTBEAT_QUEUES", default=["celery"])
for _queue in WORKER_HEARTBEAT_QUEUES:
    CELERY_BEAT_SCHEDULE[f"worker-heartbeat-{_queue}"] = {
        "task": "certportal.workers.heartbeat",
        "schedule": float(WORKER_HEARTBEAT_SECONDS),
        "kwargs": {"queue": _queue},
        # One queued while no worker consumes says nothing later: it expires unrun.
        "options": {"queue": _queue, "expires": WORKER_HEARTBEAT_SECONDS},
    }
