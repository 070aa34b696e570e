"""Trigram indexes for the API's and the admin's name/address search on PostgreSQL.

DRF's SearchFilter and the admin search with ``icontains``, which PostgreSQL runs as
``UPPER(col::text) LIKE UPPER('%…%')``: a B-tree cannot serve it, a GIN trigram index on that
same expression can (for terms of 3 characters or more). SQLite (the embedded default) has no
such index and migrates without it: the operation does nothing there.

    operations = [trigram_search_index("grids_resident", "name", "resident_name_trgm")]
"""

from __future__ import annotations

from django.db import migrations


def trigram_search_index(table: str, column: str, name: str) -> migrations.RunPython:
    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
            f"USING gin ((UPPER({quote(column)}::text)) gin_trgm_ops)"
        )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    return migrations.RunPython(forwards, backwards, elidable=False)
