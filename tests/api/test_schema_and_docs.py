"""The generated schema and the docs page: errors documented as problem documents, the
docs behind sign-in, and every asset of the docs page served from /static/ (no CDN)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_schema_documents_problem_details_and_bearer_auth(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    submit = schema["paths"]["/api/v1/requests/{request_id}/submit"]["post"]
    for status in ("401", "403", "404", "409", "422", "429"):
        assert list(submit["responses"][status]["content"]) == ["application/problem+json"]
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    assert client.post("/api/v1/openapi.json").status_code == 405


def test_docs_page_needs_a_session_and_loads_nothing_from_elsewhere(client, partner_admin):
    assert client.get("/api/v1/docs/").status_code == 302
    client.force_login(partner_admin)
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/static/") for u in urls), urls
    assert "<script>" not in html  # no inline script: the CSP allows 'self' only
    assert "script-src 'self'" in response["Content-Security-Policy"]
