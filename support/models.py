"""Support after certification: tickets (routed between the vendor's first line and the
partner), their immutable event log and attachments, the post-certification support
meeting, and the two-week deployment cycles that certified module updates ship in."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from certifications.models import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH
from support import permissions as perms
from support.enums import (
    REOPEN_TARGETS,
    Classification,
    EventKind,
    MeetingState,
    Severity,
    TicketState,
)


def _not_acknowledged(ticket: Ticket) -> bool:
    return ticket.acknowledged_at is None


class Ticket(ConcurrentTransitionMixin, models.Model):
    """A support ticket about one certified integration.

    new -triage-> triaged -route_to_partner-> with_partner | -route_to_vendor-> with_vendor;
    with_vendor -escalate-> with_partner; with_partner -acknowledge-> with_partner (partner
    admin, once per routing); with_* -wait_on_reporter-> waiting_on_reporter
    -reporter_responded-> back; with_*/waiting -resolve-> resolved -close-> closed;
    resolved/closed -reopen-> triaged | with_partner | with_vendor."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    integration = models.ForeignKey(
        "certifications.Integration", on_delete=models.PROTECT, related_name="tickets"
    )
    certified_request = models.ForeignKey(
        "certifications.CertificationRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The certified version in force when the ticket was raised.",
    )
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.NORMAL)
    subject = models.CharField(max_length=200)
    description = models.TextField(max_length=TEXT_MAX_LENGTH)
    customer_name = models.CharField(
        "Joint customer", max_length=200, blank=True, help_text="When raised for a customer."
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = FSMField(choices=TicketState.choices, default=TicketState.NEW, protected=True)
    classification = models.CharField(max_length=16, choices=Classification.choices, blank=True)
    waiting_from = models.CharField(max_length=32, blank=True)
    escalation_reason = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    resolution = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["partner", "state"], name="ticket_partner_state"),
            models.Index(fields=["state", "resolution_due_at"], name="ticket_state_due"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def first_response_breached(self, now) -> bool:
        done = self.first_response_at
        return (done or now) > self.first_response_due_at

    def resolution_breached(self, now) -> bool:
        done = self.resolved_at
        return (done or now) > self.resolution_due_at

    # -- transitions (bodies set fields only; support.services locks, saves, logs, notifies)

    @transition(
        field=state, source=TicketState.NEW, target=TicketState.TRIAGED, permission=perms.can_triage
    )
    def triage(self, *, at) -> None:
        self.triaged_at = at

    @transition(
        field=state,
        source=TicketState.TRIAGED,
        target=TicketState.WITH_PARTNER,
        permission=perms.can_triage,
    )
    def route_to_partner(self) -> None:
        self.classification = Classification.PARTNER
        self.acknowledged_at, self.acknowledged_by = None, None

    @transition(
        field=state,
        source=TicketState.TRIAGED,
        target=TicketState.WITH_VENDOR,
        permission=perms.can_triage,
    )
    def route_to_vendor(self, *, classification: str) -> None:
        self.classification = classification

    @transition(
        field=state,
        source=TicketState.WITH_VENDOR,
        target=TicketState.WITH_PARTNER,
        permission=perms.can_triage,
    )
    def escalate(self, *, reason: str) -> None:
        self.escalation_reason = reason
        self.acknowledged_at, self.acknowledged_by = None, None

    @transition(
        field=state,
        source=TicketState.WITH_PARTNER,
        target=TicketState.WITH_PARTNER,
        conditions=[_not_acknowledged],
        permission=perms.is_ticket_partner_admin,
    )
    def acknowledge(self, *, by, at) -> None:
        self.acknowledged_at, self.acknowledged_by = at, by

    @transition(
        field=state,
        source=[TicketState.WITH_PARTNER, TicketState.WITH_VENDOR],
        target=TicketState.WAITING_ON_REPORTER,
        permission=perms.can_handle,
    )
    def wait_on_reporter(self) -> None:
        self.waiting_from = self.state

    @transition(
        field=state,
        source=TicketState.WAITING_ON_REPORTER,
        target=RETURN_VALUE(TicketState.WITH_PARTNER, TicketState.WITH_VENDOR),
        permission=perms.can_reply,
    )
    def reporter_responded(self) -> str:
        target, self.waiting_from = self.waiting_from or TicketState.WITH_VENDOR, ""
        return target

    @transition(
        field=state,
        source=[TicketState.WITH_PARTNER, TicketState.WITH_VENDOR, TicketState.WAITING_ON_REPORTER],
        target=TicketState.RESOLVED,
        permission=perms.can_handle,
    )
    def resolve(self, *, at, resolution: str) -> None:
        self.resolved_at, self.resolution, self.waiting_from = at, resolution, ""

    @transition(
        field=state,
        source=TicketState.RESOLVED,
        target=TicketState.CLOSED,
        permission=perms.can_close_or_reopen,
    )
    def close(self, *, at) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=[TicketState.RESOLVED, TicketState.CLOSED],
        target=RETURN_VALUE(*REOPEN_TARGETS),
        permission=perms.can_close_or_reopen,
    )
    def reopen(self, *, target: str) -> str:
        self.resolved_at = self.closed_at = None
        if target == TicketState.WITH_PARTNER:
            self.acknowledged_at, self.acknowledged_by = None, None
        return target


class TicketEvent(models.Model):
    """One immutable row per thing that happened to a ticket: raised, each transition,
    public replies and internal notes (`internal=True` rows are never shown to partners)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    transition = models.CharField(max_length=32, blank=True)
    from_state = models.CharField(max_length=32, blank=True, choices=TicketState.choices)
    to_state = models.CharField(max_length=32, blank=True, choices=TicketState.choices)
    body = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    internal = models.BooleanField(default=False)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "internal", "at"], name="ticket_event_ticket")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("Ticket events are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ticket events are immutable.")


def attachment_upload_to(instance: TicketAttachment, filename: str) -> str:
    # The stored name is a UUID; the uploader's file name is metadata only.
    return f"tickets/{instance.ticket_id}/{uuid.uuid4().hex}"


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        TicketEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


def _meeting_time_reached(meeting: SupportMeeting) -> bool:
    """A meeting cannot be recorded as held before the time it is scheduled for."""
    return meeting.scheduled_for is not None and meeting.scheduled_for <= timezone.now()


class SupportMeeting(ConcurrentTransitionMixin, models.Model):
    """The post-certification support meeting of one certified request:
    to_schedule -schedule-> scheduled (-schedule-> scheduled again to move it) -mark_held-> held."""

    request = models.OneToOneField(
        "certifications.CertificationRequest",
        on_delete=models.CASCADE,
        related_name="support_meeting",
    )
    state = FSMField(choices=MeetingState.choices, default=MeetingState.TO_SCHEDULE, protected=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    vendor_attendees = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    partner_attendees = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    notes = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    escalation_path = models.TextField(
        "Agreed escalation path", max_length=TEXT_MAX_LENGTH, blank=True
    )
    # The escalation path's three agreements the partner is shown after the meeting.
    customer_contact = models.TextField(
        "Who the partner's customers contact", max_length=NOTE_MAX_LENGTH, blank=True
    )
    vendor_first_line = models.TextField(
        "When the vendor is first line", max_length=NOTE_MAX_LENGTH, blank=True
    )
    support_tool_access = models.TextField(
        "The partner's access to the support tool", max_length=NOTE_MAX_LENGTH, blank=True
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_at = models.DateTimeField(null=True, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "scheduled_for"], name="meeting_state_when")]

    def __str__(self) -> str:
        return f"Support meeting for request {self.request_id}"

    @property
    def partner_id(self) -> int:
        return self.request.integration.partner_id

    @transition(
        field=state,
        source=[MeetingState.TO_SCHEDULE, MeetingState.SCHEDULED],
        target=MeetingState.SCHEDULED,
        permission=perms.can_run_meeting,
    )
    def schedule(self, *, when, vendor_attendees: str, partner_attendees: str, by) -> None:
        self.scheduled_for = when
        self.vendor_attendees, self.partner_attendees = vendor_attendees, partner_attendees
        self.scheduled_by = by

    @transition(
        field=state,
        source=MeetingState.SCHEDULED,
        target=MeetingState.HELD,
        conditions=[_meeting_time_reached],
        permission=perms.can_run_meeting,
    )
    def mark_held(self, *, at, by, notes: str, escalation_path: str, **agreed: str) -> None:
        self.held_at, self.held_by = at, by
        self.notes, self.escalation_path = notes, escalation_path
        for name, value in agreed.items():  # customer_contact, vendor_first_line, …
            setattr(self, name, value)


class DeploymentCycle(models.Model):
    """One two-week deployment day on which certified module updates ship. Rows are
    created when staff mark a cycle deployed; the calendar itself is computed."""

    deploy_on = models.DateField(unique=True)
    deployed_at = models.DateTimeField(null=True, blank=True)
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["deploy_on"]

    def __str__(self) -> str:
        return f"Deployment cycle {self.deploy_on}"
