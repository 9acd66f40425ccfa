import pytest
from django.db import connection
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_is_public_and_ok(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"


def test_healthz_reports_503_when_database_unreachable(client, monkeypatch):
    def refuse():
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    response = client.get("/healthz/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "error: OperationalError"


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_reports_503_when_redis_unreachable(client):
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


def test_healthz_redis_not_configured_is_healthy(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == "not configured"


def test_healthz_sends_no_cache_headers(client):
    response = client.get("/healthz/")
    assert "no-cache" in response["Cache-Control"]
