"""Ticket writes: raise, triage and route, escalate, acknowledge, reply, note, wait on the
reporter, resolve, close, reopen.

Every change follows the transition recipe: lock the row, check role/state/condition
through `certportal.fsm.fire`, save, write one immutable TicketEvent row, and queue
notifications in the same transaction (delivered after commit). Internal notes are never
put into anything a partner receives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from certifications import selectors as cert_selectors
from certifications.models import Integration
from certportal.fsm import fire
from partners import permissions as partner_perms
from partners.models import SupportPlan
from support import permissions as perms
from support.enums import REOPEN_TARGETS, Classification, EventKind, Severity, TicketState
from support.models import Ticket, TicketEvent
from support.services.shared import (
    SupportError,
    lock_ticket,
    notify_desk,
    notify_partner,
    require_text,
)
from support.services.timers import (
    counts_as_first_response,
    record_first_response,
    resolution_hours,
    response_hours,
)
from support.services.uploads import check_uploads, store_uploads

# --- The ticket's log ------------------------------------------------------------------------


def _event(
    ticket: Ticket,
    *,
    actor: Any,
    kind: str,
    at: dt.datetime,
    body: str = "",
    internal: bool = False,
    transition: str = "",
    from_state: str = "",
) -> TicketEvent:
    """Append one immutable event: the thread partners read (unless `internal`) and the
    audit trail of the ticket. Anonymous actors (the system) are stored as no one."""
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        transition=transition,
        from_state=from_state,
        to_state=ticket.state if transition else "",
        body=body,
        internal=internal,
        at=at,
    )


def _fire(
    locked: Ticket, name: str, *, actor: Any, when: dt.datetime, body: str = "", **kw: Any
) -> str:
    """Fire a transition on a locked ticket and log it; `kw` go to the transition."""
    previous = fire(locked, name, actor=actor, error=SupportError, **kw)
    _event(
        locked,
        actor=actor,
        kind=EventKind.TRANSITION,
        at=when,
        body=body,
        transition=name,
        from_state=previous,
    )
    return previous


def _is_reporter_side(ticket: Ticket, actor: Any) -> bool:
    """Whether `actor` answers for the reporter (so a reply ends waiting on the reporter)."""
    if actor.pk == ticket.raised_by_id:
        return True
    # A partner-raised ticket: any editor of that partner answers for the reporter.
    reporter_is_member = ticket.raised_by_id and not perms.is_support_staff(ticket.raised_by)
    return bool(reporter_is_member) and perms.is_ticket_partner_editor(ticket, actor)


# --- Raising and routing ---------------------------------------------------------------------


def ticket_create(
    *,
    integration: Integration,
    actor: Any,
    severity: str,
    subject: str,
    description: str,
    customer_name: str = "",
    uploads: Iterable[UploadedFile] = (),
) -> Ticket:
    """Raise a ticket about a certified integration: by a partner admin or developer of the
    integration's organisation, or by the support desk on behalf of a joint customer.

    The first-response target is snapshotted from the partner's support plan, the
    resolution target from settings, so later plan edits do not move open deadlines."""
    staff = perms.is_support_staff(actor)
    member = partner_perms.is_partner_developer(actor, integration.partner_id)
    if not staff and not member:
        raise SupportError(
            "Your role can read tickets but not raise them; ask an admin or developer.",
            code="not_allowed",
        )
    if severity not in Severity.values:
        raise SupportError("Choose a severity.")
    subject = require_text(subject, "a subject")
    description = require_text(description, "a description")
    customer_name = (customer_name or "").strip()
    if staff and not member and not customer_name:
        raise SupportError("Name the joint customer this ticket is raised for.")
    certified = cert_selectors.latest_certified(integration)
    if certified is None:
        raise SupportError(
            "Support tickets are for certified integrations; this one has no certified version yet.",
            code="unmet",
        )
    checked = check_uploads(uploads)
    plan = SupportPlan.objects.filter(partner_id=integration.partner_id).first()
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            partner_id=integration.partner_id,
            integration=integration,
            certified_request=certified,
            severity=severity,
            subject=subject[:200],
            description=description,
            customer_name=customer_name[:200],
            raised_by=actor,
            created_at=now,
            first_response_due_at=now + dt.timedelta(hours=response_hours(plan, severity)),
            resolution_due_at=now + dt.timedelta(hours=resolution_hours(severity)),
        )
        event = _event(ticket, actor=actor, kind=EventKind.CREATED, at=now, body=description)
        store_uploads(ticket, checked, actor=actor, event=event)
        notify_desk(
            ticket,
            event="ticket_raised",
            subject=f"raised ({ticket.get_severity_display()}): {ticket.subject}",
            message=description,
            actor=actor,
        )
        if staff:
            notify_partner(
                ticket,
                event="ticket_raised",
                subject=f"was raised for {integration}: {ticket.subject}",
                message=description,
                actor=actor,
            )
    return ticket


def ticket_triage(
    *, ticket: Ticket, actor: Any, classification: str = "", comment: str = ""
) -> Ticket:
    """Classify a ticket and route it: a partner issue goes to the partner (whose admins
    must acknowledge it); an unclear or vendor issue goes to the vendor's first line.
    Without a classification the ticket is only marked triaged."""
    if classification and classification not in Classification.values:
        raise SupportError("Choose how to classify the ticket.")
    now = timezone.now()
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if locked.state == TicketState.NEW or not classification:
            # Re-triaging a routed ticket is refused here with a wrong-state message.
            _fire(
                locked,
                "triage",
                actor=actor,
                when=now,
                body="" if classification else comment,
                at=now,
            )
        if classification == Classification.PARTNER:
            _fire(locked, "route_to_partner", actor=actor, when=now, body=comment)
            notify_partner(
                locked,
                event="ticket_routed",
                subject=f"was routed to {locked.partner}: please acknowledge it",
                message=f"{locked.subject}\n\n{locked.description}",
                actor=actor,
            )
        elif classification:
            _fire(
                locked,
                "route_to_vendor",
                actor=actor,
                when=now,
                body=comment,
                classification=classification,
            )
    return locked


def ticket_escalate(*, ticket: Ticket, actor: Any, reason: str) -> Ticket:
    """Vendor first line hands an unclear ticket to the partner, saying why (the partner
    sees the reason and must acknowledge)."""
    reason = require_text(reason, "the reason for escalating to the partner")
    now = timezone.now()
    with transaction.atomic():
        locked = lock_ticket(ticket)
        _fire(locked, "escalate", actor=actor, when=now, body=reason, reason=reason)
        notify_partner(
            locked,
            event="ticket_escalated",
            subject=f"was escalated to {locked.partner}: please acknowledge it",
            message=reason,
            actor=actor,
        )
    return locked


def ticket_acknowledge(*, ticket: Ticket, actor: Any) -> Ticket:
    """A partner admin confirms the partner has taken a routed ticket (recorded with time)."""
    now = timezone.now()
    with transaction.atomic():
        locked = lock_ticket(ticket)
        fire(
            locked,
            "acknowledge",
            actor=actor,
            error=SupportError,
            unmet="This ticket was already acknowledged.",
            by=actor,
            at=now,
        )
        _event(locked, actor=actor, kind=EventKind.ACKNOWLEDGED, at=now)
        notify_desk(
            locked,
            event="ticket_acknowledged",
            subject="was acknowledged by the partner",
            actor=actor,
        )
    return locked


# --- The conversation ------------------------------------------------------------------------


def ticket_reply(
    *, ticket: Ticket, actor: Any, body: str, uploads: Iterable[UploadedFile] = ()
) -> TicketEvent:
    """A public reply (partners see it). A reply from the reporter's side while the ticket
    waits on the reporter hands it back to whoever handles it."""
    body = require_text(body, "a reply")
    checked = check_uploads(uploads)
    now = timezone.now()
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if not perms.can_reply(locked, actor):
            raise SupportError(
                "Your role can read this ticket but not reply to it.", code="not_allowed"
            )
        if locked.state == TicketState.CLOSED:
            raise SupportError("This ticket is closed; reopen it to continue.", code="wrong_state")
        event = _event(locked, actor=actor, kind=EventKind.REPLY, at=now, body=body)
        store_uploads(locked, checked, actor=actor, event=event)
        if counts_as_first_response(locked, actor):
            record_first_response(locked, at=now)
        if locked.state == TicketState.WAITING_ON_REPORTER and _is_reporter_side(locked, actor):
            _fire(locked, "reporter_responded", actor=actor, when=now)
        if perms.is_support_staff(actor):
            notify_partner(
                locked, event="ticket_reply", subject="has a new reply", message=body, actor=actor
            )
        else:
            notify_desk(
                locked, event="ticket_reply", subject="has a new reply", message=body, actor=actor
            )
    return event


def ticket_note(*, ticket: Ticket, actor: Any, body: str) -> TicketEvent:
    """An internal note for the support desk. Never shown or sent to partners."""
    body = require_text(body, "the note")
    if not perms.is_support_staff(actor):
        raise SupportError("Only the support desk writes internal notes.", code="not_allowed")
    with transaction.atomic():
        locked = lock_ticket(ticket)
        return _event(
            locked, actor=actor, kind=EventKind.NOTE, at=timezone.now(), body=body, internal=True
        )


def ticket_wait_on_reporter(*, ticket: Ticket, actor: Any, question: str) -> Ticket:
    """Ask the reporter for information; the question is a public reply (and, as the
    handling side's first answer, stops the first-response clock)."""
    question = require_text(question, "what you need from the reporter")
    now = timezone.now()
    with transaction.atomic():
        locked = lock_ticket(ticket)
        _fire(locked, "wait_on_reporter", actor=actor, when=now, body=question)
        if counts_as_first_response(locked, actor):
            record_first_response(locked, at=now)
        notify_partner(
            locked,
            event="ticket_waiting",
            subject="needs information from you",
            message=question,
            actor=actor,
        )
    return locked


# --- Ending and reopening --------------------------------------------------------------------


def ticket_resolve(*, ticket: Ticket, actor: Any, resolution: str) -> Ticket:
    """Resolve a ticket with a public resolution. The partner always hears; the desk hears
    too when the partner's side resolved it, as it would not know otherwise. A resolution
    is also an answer, so it stops a first-response clock still running."""
    resolution = require_text(resolution, "how the ticket was resolved")
    now = timezone.now()
    with transaction.atomic():
        locked = lock_ticket(ticket)
        _fire(
            locked,
            "resolve",
            actor=actor,
            when=now,
            body=resolution,
            at=now,
            resolution=resolution,
        )
        if locked.first_response_at is None:
            record_first_response(locked, at=now)  # a resolution is also an answer
        notify_partner(
            locked, event="ticket_resolved", subject="was resolved", message=resolution, actor=actor
        )
        if not perms.is_support_staff(actor):
            notify_desk(
                locked,
                event="ticket_resolved",
                subject="was resolved",
                message=resolution,
                actor=actor,
            )
    return locked


def ticket_close(*, ticket: Ticket, actor: Any) -> Ticket:
    """Close a resolved ticket. Nobody is notified: both sides heard of the resolution."""
    now = timezone.now()
    with transaction.atomic():
        locked = lock_ticket(ticket)
        _fire(locked, "close", actor=actor, when=now, at=now)
    return locked


def ticket_reopen(*, ticket: Ticket, actor: Any, reason: str, target: str = "") -> Ticket:
    """Reopen a resolved or closed ticket. Partners send it back to triage; the support
    desk may send it straight to the partner or the vendor."""
    reason = require_text(reason, "why the ticket is reopened")
    if not perms.is_support_staff(actor) or not target:
        target = TicketState.TRIAGED
    if target not in REOPEN_TARGETS:
        raise SupportError("Choose where the reopened ticket goes.")
    now = timezone.now()
    with transaction.atomic():
        locked = lock_ticket(ticket)
        _fire(locked, "reopen", actor=actor, when=now, body=reason, target=target)
        if target == TicketState.WITH_PARTNER:
            notify_partner(
                locked,
                event="ticket_routed",
                subject="was reopened and routed to you: please acknowledge it",
                message=reason,
                actor=actor,
            )
        else:
            notify_desk(
                locked, event="ticket_reopened", subject="was reopened", message=reason, actor=actor
            )
            if perms.is_support_staff(actor):
                notify_partner(
                    locked,
                    event="ticket_reopened",
                    subject="was reopened",
                    message=reason,
                    actor=actor,
                )
    return locked
