"""Who may do what with tickets and support meetings. Pure predicates `(obj, user) -> bool`
used as django-fsm `permission=` and by views for presentation.

Support agents and partner managers run the support desk. Partner admins and developers
raise, answer and close their own organisation's tickets; viewers only read. Only partner
admins acknowledge a ticket routed to their organisation."""

from __future__ import annotations

from typing import Any

from certportal import roles
from partners import permissions as partner_perms
from support.enums import TicketState


def is_support_staff(user: Any) -> bool:
    return roles.is_support_agent(user) or roles.is_partner_manager(user)


def can_raise(user: Any, partner_id: int | None) -> bool:
    return partner_perms.is_partner_developer(user, partner_id) or is_support_staff(user)


def is_ticket_member(ticket: Any, user: Any) -> bool:
    return partner_perms.is_member(user, getattr(ticket, "partner_id", None))


def is_ticket_partner_editor(ticket: Any, user: Any) -> bool:
    return partner_perms.is_partner_developer(user, getattr(ticket, "partner_id", None))


def is_ticket_partner_admin(ticket: Any, user: Any) -> bool:
    return partner_perms.is_partner_admin(user, getattr(ticket, "partner_id", None))


def can_triage(ticket: Any, user: Any) -> bool:
    return is_support_staff(user)


def can_handle(ticket: Any, user: Any) -> bool:
    """The support desk always; the partner's editors while the ticket is with them."""
    if is_support_staff(user):
        return True
    with_partner = ticket.state == TicketState.WITH_PARTNER or (
        ticket.state == TicketState.WAITING_ON_REPORTER
        and ticket.waiting_from == TicketState.WITH_PARTNER
    )
    return with_partner and is_ticket_partner_editor(ticket, user)


def can_reply(ticket: Any, user: Any) -> bool:
    return is_support_staff(user) or is_ticket_partner_editor(ticket, user)


def can_close_or_reopen(ticket: Any, user: Any) -> bool:
    return is_support_staff(user) or is_ticket_partner_editor(ticket, user)


def can_run_meeting(meeting: Any, user: Any) -> bool:
    return is_support_staff(user)
