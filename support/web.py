"""HTTP helpers of the support app shared by the portal's and the support desk's pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest

from certportal.downloads import private_file_response
from certportal.errors import ProgramError
from support import services
from support.models import Ticket, TicketAttachment


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
