"""PostgreSQL COPY for large inserts (the 50,000-row roster): a row costs a CSV line instead
of Django's per-field SQL compilation. Primary keys are taken from the table's sequence first,
so the caller knows every new row's id (for history rows and many-to-many links)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models

NULL = "\\N"


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _plain(value: Any) -> Any:
    return NULL if value is None else value


def _json(value: Any) -> Any:
    return NULL if value is None else json.dumps(value, ensure_ascii=False)


def _iso(value: Any) -> Any:
    return NULL if value is None else value.isoformat()


def _bool(value: Any) -> Any:
    return NULL if value is None else ("t" if value else "f")


def converter(field: models.Field) -> Callable[[Any], Any]:
    """How one column's Python value becomes a COPY CSV cell (chosen once per column)."""
    if isinstance(field, models.JSONField):
        return _json
    if isinstance(field, (models.DateTimeField, models.DateField)):
        return _iso
    if isinstance(field, models.BooleanField):
        return _bool
    return _plain


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY ``rows`` (cells already converted) into ``table`` in the current transaction;
    database errors are raised as Django's (IntegrityError …) like any other query."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    buffer.seek(0)
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = (
        f"COPY {connection.ops.quote_name(table)} ({column_list}) "
        f"FROM STDIN WITH (FORMAT csv, NULL '{NULL}')"
    )
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.cursor.copy_expert(sql, buffer)
    return count


def copy_instances(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert new instances with ids from the sequence (set on the instances)."""
    for obj, pk in zip(objs, allocate_ids(model, len(objs)), strict=True):
        obj.pk = pk
        obj._state.adding = False
    fields = model._meta.concrete_fields
    plan = [(f.attname, converter(f)) for f in fields]
    copy_rows(
        model._meta.db_table,
        [f.column for f in fields],
        ([convert(getattr(obj, name)) for name, convert in plan] for obj in objs),
    )


def copy_history(
    model: type[models.Model], objs: Sequence[models.Model], *, user, when, reason: str
) -> None:
    """One "+" (created) history row per instance, as django-simple-history would write."""
    history = model.history.model
    fields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    fixed = {
        "history_date": when.isoformat(),
        "history_change_reason": reason,
        "history_type": "+",
        "history_user_id": _plain(getattr(user, "pk", None)),
    }
    plan = [(f.attname, converter(f)) for f in fields if f.attname not in fixed]
    copy_rows(
        history._meta.db_table,
        [f.column for f in fields if f.attname not in fixed] + list(fixed),
        (
            [convert(getattr(obj, name)) for name, convert in plan] + list(fixed.values())
            for obj in objs
        ),
    )
