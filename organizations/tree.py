"""Bulk loads of the organisation tree, with the nested-set fields computed in one pass.

``load_nodes`` works out every node's final parent and (tree_id, lft, rght, level) in Python,
ordering siblings like django-mptt's ``order_insertion_by`` (by code), inserts new nodes level
by level with their final values, and writes only the stored rows that changed. Callers hold
the tree lock (``services.lock_tree``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import connection

from organizations.models import Organization

CHUNK = 1000


def write_columns(rows: Sequence[tuple], fields: list[str]) -> None:
    """Set ``fields`` on many rows at once: ``rows`` are (pk, value, …) tuples.

    On PostgreSQL one ``UPDATE … FROM (VALUES …)`` per chunk: Django's ``bulk_update`` builds
    a CASE expression per row and field, which takes seconds for a few thousand nodes.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        objs = []
        for pk, *values in rows:
            obj = Organization(pk=pk)
            for name, value in zip(fields, values, strict=True):
                setattr(obj, Organization._meta.get_field(name).attname, value)
            objs.append(obj)
        Organization.objects.bulk_update(objs, fields, batch_size=CHUNK)
        return
    qn = connection.ops.quote_name
    meta = Organization._meta
    columns = [meta.get_field(name).column for name in fields]
    casts = [meta.pk.cast_db_type(connection)] + [
        meta.get_field(name).cast_db_type(connection) for name in fields
    ]
    row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    assignments = ", ".join(f"{qn(c)} = v.{qn(c)}" for c in columns)
    names = ", ".join(qn(c) for c in [meta.pk.column, *columns])
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.execute(
                f"UPDATE {qn(meta.db_table)} AS t SET {assignments} "
                f"FROM (VALUES {', '.join([row_sql] * len(chunk))}) AS v({names}) "
                f"WHERE t.{qn(meta.pk.column)} = v.{qn(meta.pk.column)}",
                [value for row in chunk for value in row],
            )


def _nested_sets(
    parents: dict[str, str | None],
) -> dict[str, tuple[int, int, int, int]]:
    """code -> (tree_id, lft, rght, level) for a forest given as code -> parent code."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for code, parent in parents.items():
        children[parent].append(code)
    for siblings in children.values():
        siblings.sort()
    computed: dict[str, tuple[int, int, int, int]] = {}
    for tree_id, root in enumerate(children[None], start=1):
        counter = 1
        lefts: dict[str, int] = {}
        # Iterative depth-first walk: (node, level, entering?)
        stack: list[tuple[str, int, bool]] = [(root, 0, True)]
        while stack:
            node, level, entering = stack.pop()
            if entering:
                lefts[node] = counter
                counter += 1
                stack.append((node, level, False))
                for child in reversed(children.get(node, [])):
                    stack.append((child, level + 1, True))
            else:
                computed[node] = (tree_id, lefts[node], counter, level)
                counter += 1
    return computed


def _stored() -> tuple[dict[str, int], dict[str, str | None], dict[str, tuple]]:
    """Stored nodes: code -> id, code -> parent code, code -> (tree_id, lft, rght, level)."""
    rows = list(
        Organization.objects.values_list(
            "id", "parent_id", "code", "tree_id", "lft", "rght", "level"
        )
    )
    code_of = {pk: code for pk, _, code, *_ in rows}
    ids = {code: pk for pk, _, code, *_ in rows}
    parents = {code: code_of.get(parent_id) for _, parent_id, code, *_ in rows}
    fields = {code: tuple(rest) for _, _, code, *rest in rows}
    return ids, parents, fields


def rebuild_tree_fields() -> int:
    """Recompute every node's tree fields from the parent links; returns the rows rewritten."""
    ids, parents, stored = _stored()
    computed = _nested_sets(parents)
    changed = [(ids[code], *values) for code, values in computed.items() if stored[code] != values]
    write_columns(changed, ["tree_id", "lft", "rght", "level"])
    return len(changed)


def load_nodes(
    new: list[Organization],
    changed: list[Organization],
    parent_codes: dict[str, str | None],
    *,
    update_fields: list[str],
    batch_size: int = 2000,
) -> None:
    """Bulk-write nodes whose parents are given by code (in the batch or already stored).

    New nodes are inserted parents first with their final parent and tree fields; stored
    nodes get ``update_fields`` and whatever of parent/tree fields changed, in a few
    set-based updates.
    """
    ids, parents, stored = _stored()
    final_parents = {**parents, **{obj.code: parent_codes[obj.code] for obj in [*new, *changed]}}
    computed = _nested_sets(final_parents)

    # Stored rows: the listed fields of changed nodes, then parent and tree fields.
    attnames = [Organization._meta.get_field(name).attname for name in update_fields]
    write_columns(
        [(obj.pk or ids[obj.code], *(getattr(obj, a) for a in attnames)) for obj in changed],
        update_fields,
    )
    moved = []
    for code, pk in ids.items():
        parent = final_parents[code]
        if parent != parents[code] or computed[code] != stored[code]:
            # A stored node's new parent may be one of the new nodes: linked after insert.
            moved.append((code, pk, parent))

    # New rows, one depth level at a time so that every parent has its id already.
    by_level: dict[int, list[Organization]] = defaultdict(list)
    for obj in new:
        obj.tree_id, obj.lft, obj.rght, obj.level = computed[obj.code]
        by_level[obj.level].append(obj)
    for level in sorted(by_level):
        batch = by_level[level]
        for obj in batch:
            parent = final_parents[obj.code]
            obj.parent_id = ids[parent] if parent else None
        Organization.objects.bulk_create(batch, batch_size=batch_size)
        if any(obj.pk is None for obj in batch):
            # Backends that cannot return ids from a bulk insert.
            ids.update(
                Organization.objects.filter(code__in=[o.code for o in batch]).values_list(
                    "code", "id"
                )
            )
            for obj in batch:
                obj.pk = ids[obj.code]
        ids.update((obj.code, obj.pk) for obj in batch)

    write_columns(
        [(pk, ids[parent] if parent else None, *computed[code]) for code, pk, parent in moved],
        ["parent", "tree_id", "lft", "rght", "level"],
    )
    for obj in changed:
        obj.pk = obj.pk or ids[obj.code]
        parent = final_parents[obj.code]
        obj.parent_id = ids[parent] if parent else None
        obj.tree_id, obj.lft, obj.rght, obj.level = computed[obj.code]
