"""API tokens: shown once, stored hashed, expiry, revocation, scopes, audit of writes,
last use, the rate limit, and the portal pages that manage them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from certportal.models import AuditEvent
from partners.services import api_access
from partners.tokens import ApiToken
from tests.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


def test_token_is_stored_hashed_and_shown_once(client, partner, partner_admin):
    client.force_login(partner_admin)
    response = client.post(
        "/portal/api/", {"name": "GitHub Actions", "scope": "write", "expires_in_days": 90}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.context["created"]["raw"]
    assert raw.startswith("cpt_") and raw in response.content.decode()
    token = ApiToken.objects.get()
    assert token.digest == api_access.token_digest(raw) and raw not in token.digest
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM partners_apitoken")
        assert raw not in repr(cursor.fetchall())
    # The list page never shows it again, only its prefix.
    page = client.get("/portal/api/").content.decode()
    assert raw not in page and f"cpt_{token.prefix}" in page
    assert AuditEvent.objects.filter(action="api_token.create", object_id=token.pk).count() == 1
    assert ApiClient(raw).get("integrations").status_code == 200


def test_expired_and_revoked_tokens_are_refused(partner, partner_admin):
    token, raw = make_token(partner_admin, partner.pk, days=1)
    api = ApiClient(raw)
    assert api.get("requests").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        response = api.get("requests")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401
    api_access.api_token_revoke(token=token, actor=partner_admin)
    assert api.get("requests").status_code == 401
    assert ApiClient("cpt_nope_nope").get("requests").status_code == 401
    assert ApiClient(None).get("requests").status_code == 401


def test_token_stops_when_its_creator_is_no_longer_admin(partner, partner_admin):
    from partners.models import Membership

    _, raw = make_token(partner_admin, partner.pk)
    Membership.objects.filter(user=partner_admin).update(role="developer")
    assert ApiClient(raw).get("requests").status_code == 401


def test_read_scope_cannot_write(api_read, integration):
    response = api_read.post(
        "requests", {"integration_id": integration.pk, "version": "9.9", "commit_sha": ""}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "scope"
    assert not integration.requests.exists()


def test_every_write_use_is_audited_and_last_use_recorded(api, write_token, integration):
    token = write_token[0]
    assert api.get("integrations").status_code == 200
    response = api.post(
        "requests", {"integration_id": integration.pk, "version": "3.0", "commit_sha": "abcdef1"}
    )
    assert response.status_code == 201, response.content
    rows = AuditEvent.objects.filter(action="api_token.write", object_id=token.pk)
    assert rows.count() == 1
    assert rows.get().data["method"] == "POST" and rows.get().actor_id == token.user_id
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_ip == "127.0.0.1"


def test_rate_limit_answers_429_with_retry_after(api, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    statuses = [api.get("guidelines").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("guidelines")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "rate_limited"


def test_only_staff_create_staff_tokens(partner_admin, reviewer):
    with pytest.raises(api_access.PartnerError):
        make_token(partner_admin, None)
    token, raw = make_token(reviewer, None)
    assert token.is_staff_token
    assert ApiClient(raw).get("staff/queue").status_code == 200
    # A staff token reaches no partner resources: those are the organisations' own.
    assert ApiClient(raw).get("requests").status_code == 403


def test_token_pages_are_for_partner_admins_only(
    client, partner, partner_admin, partner_developer, other_partner_admin
):
    token, _ = make_token(partner_admin, partner.pk)
    client.force_login(partner_developer)
    assert client.get("/portal/api/").status_code == 403
    assert client.post(f"/portal/api/tokens/{token.pk}/revoke/").status_code == 403
    client.force_login(other_partner_admin)
    assert client.post(f"/portal/api/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    client.force_login(partner_admin)
    assert client.post(f"/portal/api/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
