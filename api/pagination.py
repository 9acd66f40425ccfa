"""Cursor pagination: newest first by id, `?cursor=` the opaque position after which the
next page starts, `?limit=` 1–100. A page costs one query (LIMIT limit+1) however deep it
is, and a row added meanwhile never shifts the next page."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from django.db.models import QuerySet
from pydantic import Field, StringConstraints

from api.problems import problem

MAX_LIMIT = 100
DEFAULT_LIMIT = 25
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Rows per page (1-100).")]
Cursor = Annotated[
    str | None,
    StringConstraints(max_length=40, pattern=r"^[A-Za-z0-9_-]*$"),
    Field(description="`next_cursor` of the previous page."),
]


class BadCursor(Exception):
    pass


def _decode(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, UnicodeError) as exc:
        raise BadCursor() from exc
    if value < 1 or value > 2**62:
        raise BadCursor()
    return value


def encode(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def page(qs: QuerySet, *, cursor: str | None, limit: int) -> dict[str, Any]:
    """{"items": [...], "next_cursor": str | None} of `qs` (ordered here by -pk)."""
    qs = qs.order_by("-pk")
    if cursor:
        qs = qs.filter(pk__lt=_decode(cursor))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode(rows[-1].pk) if more and rows else None}


def bad_cursor_response():
    return problem(
        422,
        "The cursor is not one this API gave out; start again without it.",
        code="invalid",
        errors=[{"field": "cursor", "message": "Unknown cursor."}],
    )
