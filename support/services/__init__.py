"""Writes of the support app: tickets and their routing, replies and internal notes,
support meetings and deployment cycles.

Every ticket change follows the transition recipe: lock the row, check role/state/condition
through `certportal.fsm.fire`, save, write one immutable TicketEvent row, and queue
notifications in the same transaction (delivered after commit). Internal notes are never
put into anything a partner receives.

The package is split by what is written (`tickets`, `meetings`, `deployments`) over the
pieces they share (`shared`: the error type, recipients, locks; `uploads`; `timers`).
Callers import from `support.services`; the names below are its public surface."""

from support.services.deployments import deployment_mark_deployed
from support.services.meetings import (
    meeting_ensure,
    meeting_mark_held,
    meeting_request,
    meeting_schedule,
)
from support.services.shared import SupportError
from support.services.tickets import (
    ticket_acknowledge,
    ticket_close,
    ticket_create,
    ticket_escalate,
    ticket_note,
    ticket_reopen,
    ticket_reply,
    ticket_resolve,
    ticket_triage,
    ticket_wait_on_reporter,
)
from support.services.timers import resolution_hours, response_hours
from support.services.uploads import MAX_ATTACHMENTS

__all__ = [
    "MAX_ATTACHMENTS",
    "SupportError",
    "deployment_mark_deployed",
    "meeting_ensure",
    "meeting_mark_held",
    "meeting_request",
    "meeting_schedule",
    "resolution_hours",
    "response_hours",
    "ticket_acknowledge",
    "ticket_close",
    "ticket_create",
    "ticket_escalate",
    "ticket_note",
    "ticket_reopen",
    "ticket_reply",
    "ticket_resolve",
    "ticket_triage",
    "ticket_wait_on_reporter",
]
