"""Errors in one shape: RFC 9457 problem details (`application/problem+json`).

Every refusal the API gives goes through `problem()`: a service's ProgramError keeps its
message and its status (403 role, 409 state or conflict, 400 otherwise), request
validation gives 422 with one entry per field saying what to fix, another organisation's
object is a 404 exactly as on the pages."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from ninja import Schema

PROBLEM_TYPE = "https://certportal.invalid/problems/"
MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input",
    429: "Too many requests",
}


class FieldError(Schema):
    field: str
    message: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] = []


# The statuses every operation may answer with, documented with the Problem schema.
ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 422, 429})
ERRORS: dict[Any, Any] = {ERROR_STATUSES: Problem}


def problem(
    status: int,
    detail: str,
    *,
    code: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    code = code or {401: "not_authenticated", 404: "not_found", 429: "rate_limited"}.get(
        status, "invalid"
    )
    body = {
        "type": PROBLEM_TYPE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
    }
    response = HttpResponse(json.dumps(body), status=status, content_type=MEDIA_TYPE)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Pydantic's errors as {field, message}: the field is the dotted path without the
    parameter source ("body", "query", "path") and the handler's argument name."""
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
            source = loc[0]
            loc = loc[2:] if source == "body" and len(loc) > 2 else loc[1:]
        out.append({"field": ".".join(loc) or "body", "message": str(error.get("msg", "Invalid"))})
    return out
