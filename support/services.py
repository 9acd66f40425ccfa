"""Writes of the support app: tickets and their routing, replies and internal notes,
support meetings and deployment cycles.

Every ticket change follows the transition recipe: lock the row, check role/state/condition
through `certportal.fsm.fire`, save, write one immutable TicketEvent row, and queue
notifications in the same transaction (delivered after commit). Internal notes are never
put into anything a partner receives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from certifications import selectors as cert_selectors
from certifications.models import CertificationRequest, Integration
from certifications.uploads import check_upload
from certportal import roles
from certportal.audit import audit
from certportal.errors import ProgramError
from certportal.fsm import fire
from certportal.links import link
from certportal.outbox import notify
from partners import permissions as partner_perms
from partners.enums import MemberRole
from partners.models import Membership, SupportPlan
from support import permissions as perms
from support.enums import (
    DEFAULT_RESOLUTION_HOURS,
    DEFAULT_RESPONSE_HOURS,
    REOPEN_TARGETS,
    Classification,
    EventKind,
    Severity,
    TicketState,
)
from support.models import DeploymentCycle, SupportMeeting, Ticket, TicketAttachment, TicketEvent

MAX_ATTACHMENTS = 5


class SupportError(ProgramError):
    """A support rule refused the action."""


# --- Targets -----------------------------------------------------------------------------


def response_hours(plan: SupportPlan | None, severity: str) -> int:
    """First-response target from the partner's support plan (the program's escalation plan)."""
    if plan is None:
        return DEFAULT_RESPONSE_HOURS[severity]
    return int(getattr(plan, f"response_{severity}_hours"))


def resolution_hours(severity: str) -> int:
    """Resolution target; `SUPPORT_RESOLUTION_HOURS` in settings overrides the defaults."""
    configured = getattr(settings, "SUPPORT_RESOLUTION_HOURS", None) or {}
    return int(configured.get(severity, DEFAULT_RESOLUTION_HOURS[severity]))


# --- Helpers -----------------------------------------------------------------------------


def _support_desk() -> list[Any]:
    return list(roles.staff_in(roles.SUPPORT_AGENT))


def _partner_admins(partner_id: int) -> list[Any]:
    return [
        m.user
        for m in Membership.objects.filter(partner_id=partner_id, role=MemberRole.ADMIN)
        .select_related("user")
        .order_by("pk")
    ]


def _partner_side(ticket: Ticket) -> list[Any]:
    """Partner people who follow a ticket: its partner admins and a reporter who is a member."""
    people = _partner_admins(ticket.partner_id)
    if ticket.raised_by_id and perms.is_ticket_member(ticket, ticket.raised_by):
        people.append(ticket.raised_by)
    return people


def _notify_partner(ticket: Ticket, *, event: str, subject: str, message: str = "") -> None:
    """Partner notifications carry only public text (a reply, a reason, a resolution)."""
    notify(
        recipients=_partner_side(ticket),
        event=event,
        subject=f"Ticket #{ticket.pk} {subject}",
        context={"message": message, "ticket": ticket},
        link=link("support:ticket_detail", ticket.pk),
    )


def _notify_desk(ticket: Ticket, *, event: str, subject: str, message: str = "") -> None:
    notify(
        recipients=_support_desk(),
        event=event,
        subject=f"Ticket #{ticket.pk} {subject}",
        context={"message": message, "ticket": ticket},
        link=link("support_staff:ticket", ticket.pk),
    )


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


def _lock(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("integration", "partner")
        .get(pk=ticket.pk)
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


def _check_uploads(uploads: Iterable[UploadedFile]) -> list[tuple[UploadedFile, Any]]:
    uploads = [u for u in uploads if u]
    if len(uploads) > MAX_ATTACHMENTS:
        raise SupportError(f"Attach at most {MAX_ATTACHMENTS} files at a time.")
    return [(upload, check_upload(upload)) for upload in uploads]


def _store_uploads(
    ticket: Ticket, checked: list[tuple[UploadedFile, Any]], *, actor: Any, event: TicketEvent
) -> None:
    for upload, info in checked:
        attachment = TicketAttachment(
            ticket=ticket,
            event=event,
            original_name=info.name,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            uploaded_by=actor,
        )
        attachment.file.save(info.name, upload, save=False)
        attachment.save()


def _require_text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise SupportError(f"Add {what}.")
    return text


# --- Tickets -----------------------------------------------------------------------------


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
    subject = _require_text(subject, "a subject")
    description = _require_text(description, "a description")
    customer_name = (customer_name or "").strip()
    if staff and not member and not customer_name:
        raise SupportError("Name the joint customer this ticket is raised for.")
    certified = cert_selectors.latest_certified(integration)
    if certified is None:
        raise SupportError(
            "Support tickets are for certified integrations; this one has no certified version yet.",
            code="unmet",
        )
    checked = _check_uploads(uploads)
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
        _store_uploads(ticket, checked, actor=actor, event=event)
        _notify_desk(
            ticket,
            event="ticket_raised",
            subject=f"raised ({ticket.get_severity_display()}): {ticket.subject}",
            message=description,
        )
        if staff:
            _notify_partner(
                ticket,
                event="ticket_raised",
                subject=f"was raised for {integration}: {ticket.subject}",
                message=description,
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
        locked = _lock(ticket)
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
            _notify_partner(
                locked,
                event="ticket_routed",
                subject=f"was routed to {locked.partner}: please acknowledge it",
                message=f"{locked.subject}\n\n{locked.description}",
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
    reason = _require_text(reason, "the reason for escalating to the partner")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        _fire(locked, "escalate", actor=actor, when=now, body=reason, reason=reason)
        _notify_partner(
            locked,
            event="ticket_escalated",
            subject=f"was escalated to {locked.partner}: please acknowledge it",
            message=reason,
        )
    return locked


def ticket_acknowledge(*, ticket: Ticket, actor: Any) -> Ticket:
    """A partner admin confirms the partner has taken a routed ticket (recorded with time)."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
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
        _notify_desk(locked, event="ticket_acknowledged", subject="was acknowledged by the partner")
    return locked


def _counts_as_first_response(ticket: Ticket, actor: Any) -> bool:
    """The first public answer from the side handling the ticket: the support desk, or the
    partner while the ticket is with the partner; never the reporter answering themself."""
    if ticket.first_response_at is not None or actor.pk == ticket.raised_by_id:
        return False
    if perms.is_support_staff(actor):
        return True
    return perms.can_handle(ticket, actor)


def _is_reporter_side(ticket: Ticket, actor: Any) -> bool:
    if actor.pk == ticket.raised_by_id:
        return True
    # A partner-raised ticket: any editor of that partner answers for the reporter.
    reporter_is_member = ticket.raised_by_id and not perms.is_support_staff(ticket.raised_by)
    return bool(reporter_is_member) and perms.is_ticket_partner_editor(ticket, actor)


def ticket_reply(
    *, ticket: Ticket, actor: Any, body: str, uploads: Iterable[UploadedFile] = ()
) -> TicketEvent:
    """A public reply (partners see it). A reply from the reporter's side while the ticket
    waits on the reporter hands it back to whoever handles it."""
    body = _require_text(body, "a reply")
    checked = _check_uploads(uploads)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        if not perms.can_reply(locked, actor):
            raise SupportError(
                "Your role can read this ticket but not reply to it.", code="not_allowed"
            )
        if locked.state == TicketState.CLOSED:
            raise SupportError("This ticket is closed; reopen it to continue.", code="wrong_state")
        event = _event(locked, actor=actor, kind=EventKind.REPLY, at=now, body=body)
        _store_uploads(locked, checked, actor=actor, event=event)
        if _counts_as_first_response(locked, actor):
            locked.first_response_at = now
            locked.save(update_fields=["first_response_at", "updated_at"])
        if locked.state == TicketState.WAITING_ON_REPORTER and _is_reporter_side(locked, actor):
            _fire(locked, "reporter_responded", actor=actor, when=now)
        if perms.is_support_staff(actor):
            _notify_partner(locked, event="ticket_reply", subject="has a new reply", message=body)
        else:
            _notify_desk(locked, event="ticket_reply", subject="has a new reply", message=body)
    return event


def ticket_note(*, ticket: Ticket, actor: Any, body: str) -> TicketEvent:
    """An internal note for the support desk. Never shown or sent to partners."""
    body = _require_text(body, "the note")
    if not perms.is_support_staff(actor):
        raise SupportError("Only the support desk writes internal notes.", code="not_allowed")
    with transaction.atomic():
        locked = _lock(ticket)
        return _event(
            locked, actor=actor, kind=EventKind.NOTE, at=timezone.now(), body=body, internal=True
        )


def ticket_wait_on_reporter(*, ticket: Ticket, actor: Any, question: str) -> Ticket:
    """Ask the reporter for information; the question is a public reply."""
    question = _require_text(question, "what you need from the reporter")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        _fire(locked, "wait_on_reporter", actor=actor, when=now, body=question)
        if _counts_as_first_response(locked, actor):
            locked.first_response_at = now
            locked.save(update_fields=["first_response_at", "updated_at"])
        _notify_partner(
            locked, event="ticket_waiting", subject="needs information from you", message=question
        )
    return locked


def ticket_resolve(*, ticket: Ticket, actor: Any, resolution: str) -> Ticket:
    resolution = _require_text(resolution, "how the ticket was resolved")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
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
            locked.first_response_at = now  # a resolution is also an answer
            locked.save(update_fields=["first_response_at", "updated_at"])
        _notify_partner(locked, event="ticket_resolved", subject="was resolved", message=resolution)
        if not perms.is_support_staff(actor):
            _notify_desk(
                locked, event="ticket_resolved", subject="was resolved", message=resolution
            )
    return locked


def ticket_close(*, ticket: Ticket, actor: Any) -> Ticket:
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        _fire(locked, "close", actor=actor, when=now, at=now)
    return locked


def ticket_reopen(*, ticket: Ticket, actor: Any, reason: str, target: str = "") -> Ticket:
    """Reopen a resolved or closed ticket. Partners send it back to triage; the support
    desk may send it straight to the partner or the vendor."""
    reason = _require_text(reason, "why the ticket is reopened")
    if not perms.is_support_staff(actor) or not target:
        target = TicketState.TRIAGED
    if target not in REOPEN_TARGETS:
        raise SupportError("Choose where the reopened ticket goes.")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        _fire(locked, "reopen", actor=actor, when=now, body=reason, target=target)
        if target == TicketState.WITH_PARTNER:
            _notify_partner(
                locked,
                event="ticket_routed",
                subject="was reopened and routed to you: please acknowledge it",
                message=reason,
            )
        else:
            _notify_desk(locked, event="ticket_reopened", subject="was reopened", message=reason)
            if perms.is_support_staff(actor):
                _notify_partner(
                    locked, event="ticket_reopened", subject="was reopened", message=reason
                )
    return locked


# --- Support meetings --------------------------------------------------------------------


def meeting_ensure(*, request_id: int) -> SupportMeeting | None:
    """Create the post-certification support meeting of a certified request (idempotent:
    called after commit of `cr_pass`, possibly twice)."""
    request = (
        CertificationRequest.objects.select_related("integration", "integration__partner")
        .filter(pk=request_id)
        .first()
    )
    if request is None or not request.is_certified:
        return None
    with transaction.atomic():
        meeting, created = SupportMeeting.objects.get_or_create(request=request)
        if created:
            audit(
                actor=None,
                action="support_meeting_created",
                obj=meeting,
                partner_id=request.integration.partner_id,
                to_state=meeting.state,
            )
            notify(
                recipients=_support_desk(),
                event="support_meeting_due",
                subject=f"Schedule the support meeting for {request.integration} {request.version}",
                context={"message": "The version is certified; schedule the support meeting."},
                link=link("support_staff:meeting", meeting.pk),
            )
    return meeting


def _lock_meeting(meeting: SupportMeeting) -> SupportMeeting:
    return (
        SupportMeeting.objects.select_for_update(of=("self",))
        .select_related("request__integration")
        .get(pk=meeting.pk)
    )


def meeting_schedule(
    *,
    meeting: SupportMeeting,
    actor: Any,
    when: dt.datetime,
    vendor_attendees: str,
    partner_attendees: str,
) -> SupportMeeting:
    """Set (or move) the meeting date with attendees from both sides."""
    if when is None:
        raise SupportError("Choose the meeting date and time.")
    vendor_attendees = _require_text(vendor_attendees, "the vendor's attendees")
    partner_attendees = _require_text(partner_attendees, "the partner's attendees")
    with transaction.atomic():
        locked = _lock_meeting(meeting)
        previous = fire(
            locked,
            "schedule",
            actor=actor,
            error=SupportError,
            when=when,
            vendor_attendees=vendor_attendees,
            partner_attendees=partner_attendees,
            by=actor,
        )
        partner_id = locked.request.integration.partner_id
        audit(
            actor=actor,
            action="support_meeting_scheduled",
            obj=locked,
            partner_id=partner_id,
            from_state=previous,
            to_state=locked.state,
            data={"when": when.isoformat()},
        )
        notify(
            recipients=_partner_admins(partner_id),
            event="support_meeting_scheduled",
            subject=f"Support meeting for {locked.request.integration}: "
            f"{timezone.localtime(when):%d %b %Y %H:%M}",
            context={
                "message": f"Vendor attendees: {vendor_attendees}\n"
                f"Partner attendees: {partner_attendees}"
            },
            link=link("support:integration", locked.request.integration_id),
        )
    return locked


def meeting_mark_held(
    *, meeting: SupportMeeting, actor: Any, notes: str, escalation_path: str
) -> SupportMeeting:
    """Record that the meeting happened, with notes and the agreed escalation path."""
    escalation_path = _require_text(escalation_path, "the agreed escalation path")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_meeting(meeting)
        previous = fire(
            locked,
            "mark_held",
            actor=actor,
            error=SupportError,
            at=now,
            by=actor,
            notes=(notes or "").strip(),
            escalation_path=escalation_path,
        )
        audit(
            actor=actor,
            action="support_meeting_held",
            obj=locked,
            partner_id=locked.request.integration.partner_id,
            from_state=previous,
            to_state=locked.state,
        )
    return locked


# --- Deployment cycles -------------------------------------------------------------------


def deployment_mark_deployed(*, deploy_on: dt.date, actor: Any, notes: str = "") -> DeploymentCycle:
    """Record that a deployment cycle shipped (once, on or after its day); partners whose
    updates were in it are told."""
    if not perms.is_support_staff(actor):
        raise SupportError(
            "Only partner managers and support agents mark deployments.", code="not_allowed"
        )
    if deploy_on > timezone.localdate():
        raise SupportError("This cycle's deployment day has not come yet.", code="wrong_state")
    with transaction.atomic():
        DeploymentCycle.objects.get_or_create(deploy_on=deploy_on)
        cycle = DeploymentCycle.objects.select_for_update().get(deploy_on=deploy_on)
        if cycle.deployed_at is not None:
            raise SupportError("This cycle is already marked deployed.", code="conflict")
        cycle.deployed_at, cycle.deployed_by = timezone.now(), actor
        cycle.notes = (notes or "").strip()
        cycle.save(update_fields=["deployed_at", "deployed_by", "notes"])
        shipped = list(
            CertificationRequest.objects.filter(deployment_date=deploy_on)
            .select_related("integration")
            .order_by("pk")
        )
        audit(
            actor=actor,
            action="deployment_cycle_deployed",
            obj=cycle,
            partner_id=None,
            to_state="deployed",
            data={"deploy_on": deploy_on.isoformat(), "requests": [r.pk for r in shipped]},
        )
        for req in shipped:
            notify(
                recipients=_partner_admins(req.integration.partner_id),
                event="update_deployed",
                subject=f"{req.integration} {req.version} was deployed",
                context={"message": f"Deployed in the cycle of {deploy_on:%d %b %Y}."},
                link=link("support:integration", req.integration_id),
                critical=False,
            )
    return cycle
