"""Attachments on tickets: checked before the transaction opens, stored inside it.

The check (type sniffed from the content, size limit, SHA-256) reads each file once, before
any row is locked, so a large or rejected upload never holds a ticket lock. Storing happens
with the event the files belong to, so an attachment never exists without its event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from certifications.uploads import CheckedUpload, check_upload
from support.models import Ticket, TicketAttachment, TicketEvent
from support.services.shared import SupportError

# Per event: enough for screenshots and a log, few enough to keep a reply readable.
MAX_ATTACHMENTS = 5


def check_uploads(uploads: Iterable[UploadedFile]) -> list[tuple[UploadedFile, CheckedUpload]]:
    """Drop empty form slots and check the rest; refuses more than MAX_ATTACHMENTS."""
    uploads = [u for u in uploads if u]
    if len(uploads) > MAX_ATTACHMENTS:
        raise SupportError(f"Attach at most {MAX_ATTACHMENTS} files at a time.")
    return [(upload, check_upload(upload, images=True)) for upload in uploads]


def store_uploads(
    ticket: Ticket,
    checked: list[tuple[UploadedFile, CheckedUpload]],
    *,
    actor: Any,
    event: TicketEvent,
) -> None:
    """Save checked files under the names and types the check found, never the ones the
    browser claimed."""
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
