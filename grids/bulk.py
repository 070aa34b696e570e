"""Fast inserts of new rows together with their django-simple-history records.

On PostgreSQL the rows go in with COPY (ids taken from the table's sequence first, so the
history rows and the children can refer to them); elsewhere through ``bulk_create`` and
simple-history's ``bulk_history_create``. Either way: plain dicts of attnames in, ids out,
no per-row model validation (callers have validated), inside the caller's transaction.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db import connection, models
from django.utils import timezone

NULL = "\\N"


def _copy(cursor, table: str, columns: list[str], rows: list[list[Any]]) -> None:
    # CSV through the C writer; NULL is spelled \N so that "" stays an empty string.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        [NULL if v is None else v for v in row] for row in rows
    )
    buffer.seek(0)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    cursor.copy_expert(
        f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN "
        "WITH (FORMAT csv, NULL '\\N')",
        buffer,
    )


def insert_with_history(
    model: type[models.Model], rows: list[dict[str, Any]], *, user=None
) -> list[int]:
    """Insert ``rows`` (attname → value, without id, created_at, updated_at) and one "+"
    history record each; returns the new ids in order."""
    if not rows:
        return []
    now = timezone.now()
    for row in rows:
        row["created_at"] = row["updated_at"] = now
    if connection.vendor != "postgresql":
        objs = model._default_manager.bulk_create([model(**row) for row in rows], batch_size=1000)
        model.history.bulk_history_create(objs, batch_size=1000, default_user=user)
        return [obj.pk for obj in objs]

    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields]
    history = model.history.model
    history_fields = [f for f in history._meta.concrete_fields if f.name != "history_id"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        for pk, row in zip(ids, rows, strict=True):
            row["id"] = pk
        _copy(
            cursor,
            table,
            [f.column for f in fields],
            [[row[f.attname] for f in fields] for row in rows],
        )
        extra = {
            "history_date": now,
            "history_change_reason": None,
            "history_type": "+",
            "history_user_id": getattr(user, "pk", None),
        }
        _copy(
            cursor,
            history._meta.db_table,
            [f.column for f in history_fields],
            [
                [row[f.attname] if f.attname in row else extra[f.attname] for f in history_fields]
                for row in rows
            ],
        )
    return ids
