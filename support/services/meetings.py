"""The post-certification support meeting: created when a version is certified, scheduled
with attendees from both sides, then marked held with the agreed escalation path.

Each change locks the meeting row, fires its transition through `certportal.fsm.fire` and
writes an audit event; notifications are queued in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from certifications.enums import RequestKind
from certifications.models import CertificationRequest
from certportal import roles
from certportal.audit import audit
from certportal.fsm import fire
from certportal.links import link
from certportal.outbox import notify
from partners.services import partner_admins
from support.models import SupportMeeting
from support.services.shared import SupportError, lock_meeting, require_text, support_desk

# The program opens a support meeting for initial certifications and major updates; a
# partner manager may ask for one for any other certified version (`meeting_request`).
MEETING_KINDS = (RequestKind.INITIAL, RequestKind.MAJOR)


def meeting_ensure(*, request_id: int, actor: Any = None) -> SupportMeeting | None:
    """Create the post-certification support meeting of a certified initial certification
    or major update (idempotent: called after commit of the certifying transition, possibly
    twice). Other kinds get one only when a manager asks (`meeting_request`)."""
    request = (
        CertificationRequest.objects.select_related("integration", "integration__partner")
        .filter(pk=request_id)
        .first()
    )
    if request is None or not request.is_certified:
        return None
    if request.kind not in MEETING_KINDS and not roles.is_partner_manager(actor):
        return SupportMeeting.objects.filter(request=request).first()
    with transaction.atomic():
        meeting, created = SupportMeeting.objects.get_or_create(request=request)
        if created:
            audit(
                actor=actor,
                action="support_meeting_created",
                obj=meeting,
                partner_id=request.integration.partner_id,
                to_state=meeting.state,
            )
            notify(
                recipients=support_desk(),
                event="support_meeting_due",
                subject=f"Schedule the support meeting for {request.integration} {request.version}",
                context={"message": "The version is certified; schedule the support meeting."},
                link=link("support_staff:meeting", meeting.pk),
            )
    return meeting


def meeting_request(*, request: CertificationRequest, actor: Any) -> SupportMeeting:
    """A partner manager asks for a support meeting for a certified version the program
    does not open one for (a minor or docs-only update)."""
    if not roles.is_partner_manager(actor):
        raise SupportError(
            "Only partner managers can ask for a support meeting.", code="not_allowed"
        )
    if not request.is_certified:
        raise SupportError("Support meetings are for certified versions.", code="wrong_state")
    meeting = meeting_ensure(request_id=request.pk, actor=actor)
    if meeting is None:  # pragma: no cover - certified was checked above
        raise SupportError("The version is no longer certified.", code="wrong_state")
    return meeting


def meeting_schedule(
    *,
    meeting: SupportMeeting,
    actor: Any,
    when: dt.datetime,
    vendor_attendees: str,
    partner_attendees: str,
) -> SupportMeeting:
    """Set (or move) the meeting date with attendees from both sides; the partner's admins
    are told the date and who attends."""
    if when is None:
        raise SupportError("Choose the meeting date and time.")
    vendor_attendees = require_text(vendor_attendees, "the vendor's attendees")
    partner_attendees = require_text(partner_attendees, "the partner's attendees")
    with transaction.atomic():
        locked = lock_meeting(meeting)
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
            recipients=partner_admins(partner_id),
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
    *,
    meeting: SupportMeeting,
    actor: Any,
    notes: str,
    escalation_path: str,
    customer_contact: str,
    vendor_first_line: str,
    support_tool_access: str,
) -> SupportMeeting:
    """Record that the meeting happened, with notes and the agreed escalation path (the
    program requires escalation paths to be recorded after certification): who the
    partner's customers contact, when the vendor is first line and the partner's access to
    the support tool. The partner sees them on the integration's support page. Refused
    before the meeting's time."""
    agreed = {
        "customer_contact": require_text(customer_contact, "who the partner's customers contact"),
        "vendor_first_line": require_text(vendor_first_line, "when the vendor is first line"),
        "support_tool_access": require_text(
            support_tool_access, "the partner's access to the support tool"
        ),
    }
    escalation_path = require_text(escalation_path, "the agreed escalation path")
    now = timezone.now()
    with transaction.atomic():
        locked = lock_meeting(meeting)
        when = timezone.localtime(locked.scheduled_for) if locked.scheduled_for else None
        previous = fire(
            locked,
            "mark_held",
            actor=actor,
            error=SupportError,
            unmet=f"The meeting is scheduled for {when:%d %b %Y %H:%M}: it can be recorded "
            "as held once that time has come."
            if when
            else "Schedule the meeting first.",
            at=now,
            by=actor,
            notes=(notes or "").strip(),
            escalation_path=escalation_path,
            **agreed,
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
