"""Deployment cycles: certified updates ship in the vendor's next two-week deployment
cycle, and the support desk records when a cycle actually went out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from certifications.models import CertificationRequest
from certportal.audit import audit
from certportal.links import link
from certportal.outbox import notify
from partners.services import partner_admins
from support import permissions as perms
from support.models import DeploymentCycle
from support.services.shared import SupportError


def deployment_mark_deployed(*, deploy_on: dt.date, actor: Any, notes: str = "") -> DeploymentCycle:
    """Record that a deployment cycle shipped (once, on or after its day); partners whose
    updates were in it are told.

    The cycle row is created if missing and then locked, so two people marking the same
    day cannot both succeed (the second gets a conflict)."""
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
                recipients=partner_admins(req.integration.partner_id),
                event="update_deployed",
                subject=f"{req.integration} {req.version} was deployed",
                context={"message": f"Deployed in the cycle of {deploy_on:%d %b %Y}."},
                link=link("support:integration", req.integration_id),
                critical=False,
            )
    return cycle
