"""HTTP helpers of the support app shared by the portal's and the support desk's pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest

from certportal.downloads import private_file_response
from certportal.errors import ProgramError
from support import services
from support.models import Ticket, TicketAttachment, TicketEvent

# Events on one page of a ticket's conversation (issue 20: a thread of 100,000-character
# replies made a 1.2 MB page).
EVENTS_PER_PAGE = 50


def ticket_from_form(
    request: HttpRequest, form: Any, *, customer_name: bool = False
) -> tuple[Ticket | None, int]:
    """Raise a ticket from a bound TicketForm (portal and support desk). Returns the ticket
    (or None) and the status to render the form with when it is None."""
    if not form.is_valid():
        return None, 400
    data = form.cleaned_data
    extra = {"customer_name": data["customer_name"]} if customer_name else {}
    try:
        ticket = services.ticket_create(
            integration=data["integration"],
            actor=request.user,
            severity=data["severity"],
            subject=data["subject"],
            description=data["description"],
            uploads=data["attachments"],
            **extra,
        )
    except ProgramError as exc:
        messages.error(request, exc.message)
        return None, exc.status_code
    messages.success(request, f"Ticket #{ticket.pk} was raised.")
    return ticket, 200


def attachment_response(attachment: TicketAttachment) -> FileResponse:
    return private_file_response(
        attachment.file, filename=attachment.original_name, content_type=attachment.content_type
    )


def event_page(request: HttpRequest, events: QuerySet[TicketEvent]) -> Page:
    """One page of a ticket's conversation, newest first by page: page 1 holds the latest
    EVENTS_PER_PAGE events and "Show earlier" (`?page=2`, ...) steps back. Each page lists
    its events oldest to newest, like the thread reads. The page costs the same queries
    (a count, the events, their attachments) however long the thread is."""
    page = Paginator(events.reverse(), EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)[::-1]
    return page
