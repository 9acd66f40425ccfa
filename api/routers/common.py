"""What the API's routers share: the caller's own rows (scoped by the selectors and by the
principal's organisations, so another organisation's id is a 404) and small helpers."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from api.auth import Principal
from certifications import selectors as cert_selectors
from certportal.people import display_name


def requests_of(p: Principal):
    return cert_selectors.requests_for(user=p.user).filter(
        integration__partner_id__in=p.partner_ids
    )


def integrations_of(p: Principal):
    return cert_selectors.integrations_for(user=p.user).filter(partner_id__in=p.partner_ids)


def load(qs, pk: int) -> Any:
    return get_object_or_404(qs, pk=pk)


def actor_name(user: Any) -> str:
    return display_name(user, "system")


def require_partner(p: Principal) -> int:
    if p.partner_id is None:
        raise Http404("No organisation")
    return p.partner_id
