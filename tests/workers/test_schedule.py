"""The beat schedule names real tasks, and the thin agreement tasks call their services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from config.celery import app
from partners.tasks import task_agreement_expiry_reminders, task_agreements_expire_due

pytestmark = pytest.mark.django_db


def test_beat_schedule_points_at_registered_tasks():
    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["outbox-sweep"]["schedule"] == 60.0
    assert schedule["github-access-reconcile"]["schedule"] == 3600.0
    for entry in schedule.values():  # every entry must run something that exists
        assert entry["task"] in app.tasks, entry["task"]


def test_agreement_tasks_run(eligible_partner, time_machine):
    assert task_agreement_expiry_reminders.apply().get() == 0
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=400))
    assert task_agreements_expire_due.apply().get() == 1
