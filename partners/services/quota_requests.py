"""A partner asks the partner team for extra certification quota: the way out the
dashboard and the submission wizard offer when a kind's quota is used up (issue 14).

The request is a notification to every partner manager (linking to the partner's page,
where "Grant extra quota" is) and an audit row on the agreement, so it is on record next
to the grant that answers it."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from certportal.audit import audit
from certportal.links import link
from certportal.outbox import notify
from partners import permissions, selectors
from partners.enums import QuotaKind
from partners.models import Partner
from partners.services.errors import PartnerError


def quota_request_extra(*, partner: Partner, actor: Any, kind: str, reason: str) -> None:
    """Ask the partner managers for extra `kind` quota in the agreement in force.

    The organisation's admins ask (they run the agreement), with a reason the managers can
    decide on. Side effects: an audit row on the agreement and a notification to every
    partner manager."""
    if not permissions.is_partner_admin(actor, partner.pk):
        raise PartnerError(
            "Only your organisation's admins ask for extra quota.", code="not_allowed"
        )
    if not reason.strip():
        raise PartnerError("Say what the extra certification is for.")
    kind = QuotaKind(kind)
    agreement = selectors.agreement_in_force(partner=partner)
    if agreement is None:
        raise PartnerError(
            "Extra quota is added to an active agreement; request or renew your agreement first.",
            code="unmet",
        )
    with transaction.atomic():
        audit(
            actor=actor,
            action="quota.request",
            obj=agreement,
            partner_id=partner.pk,
            comment=reason.strip(),
            data={"kind": kind.value},
        )
        who = actor.get_full_name() or actor.get_username()
        notify(
            recipients=selectors.partner_managers(),
            event="quota_requested",
            subject=f"{partner.name} asks for extra {kind.label.lower()} quota",
            context={"partner": partner, "message": f"{who}: {reason.strip()}"},
            link=link("manage:partner", partner.pk),
        )
