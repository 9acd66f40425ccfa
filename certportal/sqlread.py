"""Hand-written reads for the pages drawn most often (issue 19).

Building and compiling a queryset costs this machine 0.5 to 5 ms of CPU per query (a
select_related with a membership subquery about 2 ms, four aggregate subqueries about 4 ms)
while running its SQL from a cursor costs about 0.1 ms: on the partner's dashboard and
request page the ORM's Python was most of the page. The selectors behind those pages write
their SQL by hand and run it through Django's connection, so the statements still pass the
execute wrappers (query counting, the tenant-scoping check) and stay scoped: they quote
table and column names as Django's SQL does, so the check reads them the same way. The SQL
is portable (PostgreSQL and the SQLite of `make run`): no LATERAL, no `= ANY(array)`.

Values come back as the ORM would give them: `instance` makes a model instance with
`Model.from_db` from every concrete column in field order (nothing deferred, so touching a
field never runs a hidden query), and `typed` converts plain columns by the model field
they were read from; both run the backend's and the field's database converters (dates on
SQLite, JSON and encrypted fields everywhere)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model


def fetch_all(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_one(sql: str, params: Sequence[Any] = ()) -> tuple | None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fits(key: int) -> bool:
    """Whether `key` (a number from a URL) fits a 64-bit key column: SQLite refuses a
    larger parameter outright, where the ORM's lookup answers "no such row"."""
    return -(2**63) <= key < 2**63


def placeholders(values: Sequence[Any]) -> str:
    """`%s, %s, …` for an IN list of `values` (a fixed set, such as an enum group)."""
    return ", ".join(["%s"] * len(values))


def _converters(field: Field) -> list[tuple[Any, Any]]:
    connection = connections[DEFAULT_DB_ALIAS]
    column = field.get_col(field.model._meta.db_table)
    return [
        (converter, column)
        for converter in connection.ops.get_db_converters(column)
        + field.get_db_converters(connection)
    ]


@cache
def columns(model: type[Model], alias: str) -> str:
    """The select list of every concrete column of `model` under table alias `alias`, in
    field order (what `instance` reads back)."""
    return ", ".join(f'"{alias}"."{f.column}"' for f in model._meta.concrete_fields)


@cache
def _layout(model: type[Model]) -> tuple[list[str], tuple[tuple[int, Any, Any], ...]]:
    fields = model._meta.concrete_fields
    converters = tuple(
        (index, converter, column)
        for index, field in enumerate(fields)
        for converter, column in _converters(field)
    )
    return [f.attname for f in fields], converters


def width(model: type[Model]) -> int:
    """How many values of a row `instance` takes for `model`."""
    return len(model._meta.concrete_fields)


def instance(model: type[Model], row: Sequence[Any], start: int = 0) -> Model:
    """The `model` instance in `row[start:start + width(model)]`, selected by `columns`."""
    names, converters = _layout(model)
    values = list(row[start : start + len(names)])
    if converters:
        connection = connections[DEFAULT_DB_ALIAS]
        for index, converter, column in converters:
            values[index] = converter(values[index], column, connection)
    return model.from_db(DEFAULT_DB_ALIAS, names, values)


@cache
def _field_converters(fields: tuple[Field | None, ...]) -> tuple[tuple[int, Any, Any], ...]:
    return tuple(
        (index, converter, column)
        for index, field in enumerate(fields)
        if field is not None
        for converter, column in _converters(field)
    )


def typed(rows: Iterable[Sequence[Any]], fields: tuple[Field | None, ...]) -> list[list[Any]]:
    """`rows` with each column converted as the model field at its position in `fields`
    (None: a column the backend already returns as Python wants it, such as a text or an
    integer) would convert it."""
    converters = _field_converters(fields)
    if not converters:
        return [list(row) for row in rows]
    connection = connections[DEFAULT_DB_ALIAS]
    out = []
    for row in rows:
        values = list(row)
        for index, converter, column in converters:
            values[index] = converter(values[index], column, connection)
        out.append(values)
    return out
