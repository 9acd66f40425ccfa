"""Celery entry points for agreement housekeeping (thin wrappers around services)."""

from __future__ import annotations

from celery import shared_task

from partners import services


@shared_task(name="certportal.partners.agreement_expiry_reminders", ignore_result=True)
def task_agreement_expiry_reminders() -> int:
    """Daily: remind partner admins and managers before an agreement expires."""
    return services.agreement_expiry_reminders()


@shared_task(name="certportal.partners.agreements_expire_due", ignore_result=True)
def task_agreements_expire_due() -> int:
    """Daily: expire active agreements whose term has ended."""
    return services.agreements_expire_due()
