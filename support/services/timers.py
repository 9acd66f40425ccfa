"""Ticket timers: the first-response and resolution targets, and what stops the
first-response clock.

Targets are snapshotted onto the ticket when it is raised (`ticket_create`), so editing a
partner's support plan or the settings later never moves a deadline already promised.
The queue's breach flags (support.selectors) compare against those snapshots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from partners.models import SupportPlan
from support import permissions as perms
from support.enums import DEFAULT_RESOLUTION_HOURS, DEFAULT_RESPONSE_HOURS
from support.models import Ticket


def response_hours(plan: SupportPlan | None, severity: str) -> int:
    """First-response target from the partner's support plan (the program's escalation plan)."""
    if plan is None:
        return DEFAULT_RESPONSE_HOURS[severity]
    return int(getattr(plan, f"response_{severity}_hours"))


def resolution_hours(severity: str) -> int:
    """Resolution target; `SUPPORT_RESOLUTION_HOURS` in settings overrides the defaults."""
    configured = getattr(settings, "SUPPORT_RESOLUTION_HOURS", None) or {}
    return int(configured.get(severity, DEFAULT_RESOLUTION_HOURS[severity]))


def counts_as_first_response(ticket: Ticket, actor: Any) -> bool:
    """The first public answer from the side handling the ticket: the support desk, or the
    partner while the ticket is with the partner; never the reporter answering themself."""
    if ticket.first_response_at is not None or actor.pk == ticket.raised_by_id:
        return False
    if perms.is_support_staff(actor):
        return True
    return perms.can_handle(ticket, actor)


def record_first_response(ticket: Ticket, *, at: dt.datetime) -> None:
    """Stop the first-response clock of a locked ticket. Callers check first that it is
    still running: the first answer is the one measured against the target."""
    ticket.first_response_at = at
    ticket.save(update_fields=["first_response_at", "updated_at"])
