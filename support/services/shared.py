"""What every support write shares: the one error type, who hears about a ticket, row
locks, and the checks on free text.

Notifications are queued in the caller's transaction (the outbox delivers them after
commit), so a refused or rolled-back change never tells anybody anything. A message to the
partner side carries only public text; internal notes never reach these helpers."""

from __future__ import annotations

from typing import Any

from certportal import roles
from certportal.errors import ProgramError
from certportal.links import link
from certportal.outbox import notify
from partners.services import partner_admins
from support import permissions as perms
from support.models import SupportMeeting, Ticket


class SupportError(ProgramError):
    """A support rule refused the action."""


# --- Who hears about it ----------------------------------------------------------------------


def support_desk() -> list[Any]:
    """The vendor's support agents: they work every ticket, whoever raised it."""
    return list(roles.staff_in(roles.SUPPORT_AGENT))


def partner_side(ticket: Ticket) -> list[Any]:
    """Partner people who follow a ticket: its partner admins (who answer for the partner)
    and a reporter who is a member (a desk agent who raised it hears as the desk)."""
    people = partner_admins(ticket.partner_id)
    if ticket.raised_by_id and perms.is_ticket_member(ticket, ticket.raised_by):
        people.append(ticket.raised_by)
    return people


def notify_partner(
    ticket: Ticket, *, event: str, subject: str, message: str = "", actor: Any = None
) -> None:
    """Tell the partner side, linking the portal's ticket page. `message` must be public
    text (a reply, a reason, a resolution): partners receive it verbatim."""
    notify(
        recipients=partner_side(ticket),
        event=event,
        subject=f"Ticket #{ticket.pk} {subject}",
        context={"message": message, "ticket": ticket},
        link=link("support:ticket_detail", ticket.pk),
        actor=actor,
    )


def notify_desk(
    ticket: Ticket, *, event: str, subject: str, message: str = "", actor: Any = None
) -> None:
    """Tell the support desk, linking the desk's ticket page (not the partner's)."""
    notify(
        recipients=support_desk(),
        event=event,
        subject=f"Ticket #{ticket.pk} {subject}",
        context={"message": message, "ticket": ticket},
        link=link("support_staff:ticket", ticket.pk),
        actor=actor,
    )


# --- Locks -----------------------------------------------------------------------------------


def lock_ticket(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so two people acting at once cannot both fire
    a transition from the same state; only the ticket row is locked (`of=self`), not its
    partner or integration, which other writers share."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("integration", "partner")
        .get(pk=ticket.pk)
    )


def lock_meeting(meeting: SupportMeeting) -> SupportMeeting:
    """Re-read a support meeting under a row lock (same race as `lock_ticket`)."""
    return (
        SupportMeeting.objects.select_for_update(of=("self",))
        .select_related("request__integration")
        .get(pk=meeting.pk)
    )


# --- Input -----------------------------------------------------------------------------------


def require_text(text: str, what: str) -> str:
    """Strip `text` and refuse it when blank: replies, reasons and resolutions are what the
    other side reads, so an empty one is never recorded."""
    text = (text or "").strip()
    if not text:
        raise SupportError(f"Add {what}.")
    return text
