"""Rows into PostgreSQL with COPY (explicit ids, text format), and the id sequences
pointed past them afterwards."""

from __future__ import annotations

import datetime as dt
import io
import json

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max


def _cell(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    elif isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    text = str(value)
    if any(ch in text for ch in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "")
        )
    return text


def copy_rows(model, fields: list[str], rows) -> int:
    """COPY ``rows`` (tuples in ``fields`` order) into ``model``'s table; returns the count."""
    columns = [model._meta.get_field(name).column for name in fields]
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join(_cell(v) for v in row))
        buffer.write("\n")
        count += 1
    buffer.seek(0)
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN", buffer)
    return count


def next_id(model) -> int:
    """The first free id of `model` (COPY writes explicit ids from here)."""
    return (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def reset_sequence(model) -> None:
    """Point the id sequence past the explicit ids COPY wrote (Django's own statement)."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)
