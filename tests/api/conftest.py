"""API fixtures: tokens made through the real service, and a client that sends them."""

from __future__ import annotations

import pytest
from django.test import Client

from partners.services import api_access


class ApiClient:
    """The test client with `Authorization: Bearer <token>` and JSON bodies."""

    def __init__(self, raw: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"} if raw else {}

    def _call(self, method: str, path: str, data=None, **extra):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        kwargs = {"headers": {**self.headers, **extra.pop("headers", {})}, **extra}
        multipart = kwargs.pop("multipart", False)
        json_body = method in ("post", "patch", "put") and data is not None and not multipart
        if json_body and "content_type" not in kwargs:
            return getattr(self.client, method)(
                url, data, content_type="application/json", **kwargs
            )
        return getattr(self.client, method)(url, data, **kwargs)

    def get(self, path, data=None, **extra):
        return self._call("get", path, data, **extra)

    def post(self, path, data=None, **extra):
        return self._call("post", path, data, **extra)

    def patch(self, path, data=None, **extra):
        return self._call("patch", path, data, **extra)

    def put(self, path, data=None, **extra):
        return self._call("put", path, data, **extra)

    def delete(self, path, **extra):
        return self._call("delete", path, None, **extra)


def make_token(user, partner_id, scope="write", days=30):
    token, raw = api_access.api_token_create(
        actor=user, name="CI", scope=scope, expires_in_days=days, partner_id=partner_id
    )
    return token, raw


@pytest.fixture
def write_token(partner, partner_admin):
    return make_token(partner_admin, partner.pk, "write")


@pytest.fixture
def read_token(partner, partner_admin):
    return make_token(partner_admin, partner.pk, "read")


@pytest.fixture
def api(write_token):
    return ApiClient(write_token[1])


@pytest.fixture
def api_read(read_token):
    return ApiClient(read_token[1])


@pytest.fixture
def api_b(other_partner, other_partner_admin):
    return ApiClient(make_token(other_partner_admin, other_partner.pk, "write")[1])


@pytest.fixture
def api_staff(reviewer):
    return ApiClient(make_token(reviewer, None, "write")[1])
