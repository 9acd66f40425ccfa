"""API access of an organisation: its API tokens and its webhook endpoints, managed by its
partner admins; and vendor staff's own tokens.

A token is `cpt_<prefix>_<secret>`; only its SHA-256 digest is stored, so the plain value
exists only in the response that created it. A token acts as the person who created it,
within its organisation and its scope, and stops working when that person is no longer an
admin of the organisation (or no longer vendor staff, for a staff token). Every create,
revoke and write-scope use is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from certportal import roles, webhooks
from certportal.audit import audit
from certportal.webhook_models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from partners import permissions
from partners.services.errors import PartnerError
from partners.tokens import ApiScope, ApiToken

TOKEN_PREFIX = "cpt_"  # noqa: S105 - a marker, not a secret
MAX_TOKEN_DAYS = 366
# The last-used time is written at most this often per token (not on every request).
LAST_USED_EVERY = dt.timedelta(seconds=60)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _require_admin(actor: Any, partner_id: int | None, what: str) -> None:
    if not permissions.is_partner_admin(actor, partner_id):
        raise PartnerError(f"Only the organisation's admins manage {what}.", code="not_allowed")


# --- Tokens --------------------------------------------------------------------------------


def api_token_create(
    *, actor: Any, name: str, scope: str, expires_in_days: int, partner_id: int | None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its plain value (shown once, never stored).
    `partner_id` None makes a staff token, for vendor staff only."""
    if partner_id is None:
        if not roles.is_vendor_staff(actor):
            raise PartnerError("Only vendor staff create staff tokens.", code="not_allowed")
    else:
        _require_admin(actor, partner_id, "API tokens")
    name = (name or "").strip()
    if not name:
        raise PartnerError("Give the token a name (what uses it, e.g. “GitHub Actions”).")
    if scope not in ApiScope.values:
        raise PartnerError("Choose the token's scope: read, or read and write.")
    if not 1 <= int(expires_in_days) <= MAX_TOKEN_DAYS:
        raise PartnerError(f"A token expires after 1 to {MAX_TOKEN_DAYS} days.")
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name[:100],
            partner_id=partner_id,
            user=actor,
            scope=scope,
            prefix=prefix,
            digest=token_digest(raw),
            expires_at=timezone.now() + dt.timedelta(days=int(expires_in_days)),
        )
        audit(
            actor=actor,
            action="api_token.create",
            obj=token,
            partner_id=partner_id,
            data={"name": token.name, "scope": scope, "expires_at": token.expires_at.isoformat()},
        )
    return token, raw


def api_token_revoke(*, token: ApiToken, actor: Any) -> ApiToken:
    """Revoke a token at once (idempotent). An organisation's admins revoke its tokens;
    staff revoke their own."""
    if token.partner_id is None:
        if token.user_id != getattr(actor, "pk", None):
            raise PartnerError("Only its owner revokes a staff token.", code="not_allowed")
    else:
        _require_admin(actor, token.partner_id, "API tokens")
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at, locked.revoked_by = timezone.now(), actor
            locked.save(update_fields=["revoked_at", "revoked_by"])
            audit(actor=actor, action="api_token.revoke", obj=locked, partner_id=locked.partner_id)
    return locked


def _still_entitled(token: ApiToken) -> bool:
    user = token.user
    if not user.is_active:
        return False
    if token.partner_id is None:
        return roles.is_vendor_staff(user)
    return permissions.is_partner_admin(user, token.partner_id)


def api_token_authenticate(*, raw: str, ip_address: str | None) -> ApiToken | None:
    """The live token with this plain value, or None (unknown, revoked, expired, or its
    creator lost the role it needs). Records when and from where it was last used."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "partner").filter(digest=token_digest(raw)).first()
    )
    now = timezone.now()
    if token is None or not token.is_live(now) or not _still_entitled(token):
        return None
    stale = token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY
    if stale or token.last_used_ip != ip_address:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip_address)
        token.last_used_at, token.last_used_ip = now, ip_address
    return token


def api_token_audit_write(*, token: ApiToken, method: str, path: str, ip_address: str | None):
    """One audit row per use of a write scope (who, which token, what, from where)."""
    return audit(
        actor=token.user,
        action="api_token.write",
        obj=token,
        partner_id=token.partner_id,
        data={"method": method, "path": path[:300], "ip": ip_address},
    )


def api_tokens_of(*, partner_id: int):
    return ApiToken.objects.filter(partner_id=partner_id).select_related("user", "revoked_by")


# --- Webhook endpoints ---------------------------------------------------------------------


def _clean_endpoint(url: str, events: list[str]) -> tuple[str, list[str]]:
    url = (url or "").strip()
    problem = webhooks.url_problem(url)
    if problem:
        raise PartnerError(problem)
    chosen = [e for e in WebhookEvent.values if e in set(events or [])]
    if not chosen:
        raise PartnerError("Choose at least one event to send to this endpoint.")
    return url, chosen


def webhook_endpoint_create(
    *,
    actor: Any,
    partner_id: int,
    url: str,
    events: list[str],
    description: str = "",
    active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret (shown once)."""
    _require_admin(actor, partner_id, "webhooks")
    url, chosen = _clean_endpoint(url, events)
    secret = webhooks.new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            partner_id=partner_id,
            url=url,
            events=chosen,
            description=description[:200],
            secret=secret,
            active=active,
            created_by=actor,
        )
        audit(actor=actor, action="webhook.create", obj=endpoint, partner_id=partner_id)
    return endpoint, secret


def webhook_endpoint_update(
    *,
    actor: Any,
    endpoint: WebhookEndpoint,
    url: str,
    events: list[str],
    description: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    _require_admin(actor, endpoint.partner_id, "webhooks")
    url, chosen = _clean_endpoint(url, events)
    with transaction.atomic():
        endpoint.url, endpoint.events = url, chosen
        endpoint.description, endpoint.active = description[:200], active
        endpoint.save(update_fields=["url", "events", "description", "active"])
        audit(actor=actor, action="webhook.update", obj=endpoint, partner_id=endpoint.partner_id)
    return endpoint


def webhook_endpoint_delete(*, actor: Any, endpoint: WebhookEndpoint) -> None:
    _require_admin(actor, endpoint.partner_id, "webhooks")
    with transaction.atomic():
        audit(actor=actor, action="webhook.delete", obj=endpoint, partner_id=endpoint.partner_id)
        endpoint.delete()


def webhook_endpoint_resume(*, actor: Any, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    _require_admin(actor, endpoint.partner_id, "webhooks")
    with transaction.atomic():
        audit(actor=actor, action="webhook.resume", obj=endpoint, partner_id=endpoint.partner_id)
        return webhooks.resume(endpoint=endpoint)


def webhook_redeliver(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    _require_admin(actor, delivery.endpoint.partner_id, "webhooks")
    with transaction.atomic():
        return webhooks.redeliver(delivery=delivery)


def webhook_endpoints_of(*, partner_id: int):
    return WebhookEndpoint.objects.filter(partner_id=partner_id)


def webhook_deliveries_of(*, endpoint: WebhookEndpoint):
    return endpoint.deliveries.order_by("-created_at", "-pk")
