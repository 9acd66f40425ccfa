"""Celery entry points of the certifications app (thin wrappers around its functions)."""

from __future__ import annotations

from celery import shared_task

from certifications.overview import overview_keys_refresh


@shared_task(name="certportal.certifications.refresh_overview_keys", ignore_result=True)
def task_refresh_overview_keys() -> int:
    """Daily: recompute every partner's stored overview keys. Saves keep them current; this
    catches what the calendar changes (the agreement in force, its term) and rows written
    without signals."""
    return overview_keys_refresh()
