"""The partners app's outgoing webhook events (certportal.webhooks), one function per event
so the services add a single line in the transaction of the change."""

from __future__ import annotations

from certportal import webhooks
from partners.models import Agreement


def agreement_changed(agreement: Agreement, *, action: str, from_state: str = "") -> None:
    webhooks.emit(
        partner_id=agreement.partner_id,
        event="agreement.changed",
        data={
            "agreement_id": agreement.pk,
            "action": action,
            "from_state": from_state,
            "state": agreement.state,
            "term_start": agreement.term_start,
            "term_end": agreement.term_end,
        },
    )
