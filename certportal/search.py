"""Substring search that stays O(matches) as tables grow (issue 19).

Django's `icontains` compiles on PostgreSQL to ``UPPER(col::text) LIKE UPPER('%word%')``;
`trigram_index` is the pg_trgm GIN index on exactly that expression, so such a filter is
answered from the index instead of by scanning the table. SQLite has no such index: the
migrations skip it there (`PostgresOnlyAddIndex`) and the same filters run as plain LIKE.
The extension itself is created by `TrigramExtension` in the first migration that needs it.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.migrations.operations import AddIndex
from django.db.models.functions import Upper


def trigram_index(field: str, *, name: str) -> GinIndex:
    """A GIN trigram index serving ``<field>__icontains``."""
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=name)


class PostgresOnlyAddIndex(AddIndex):
    """`AddIndex` for an index only PostgreSQL has (GIN, pg_trgm): the model state gains
    it everywhere, the database only on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
