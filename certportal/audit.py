from __future__ import annotations

from typing import Any

from django.db import models

from certportal.models import AuditEvent


def audit(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    partner_id: int | None = None,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Write one immutable audit row in the caller's transaction."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        partner_id=partner_id if partner_id is not None else getattr(obj, "partner_id", None),
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data or {},
    )
