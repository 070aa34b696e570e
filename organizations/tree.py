"""Recomputing the nested-set fields of the organisation tree in one pass.

Bulk loads insert nodes with placeholder tree fields and then call ``rebuild_tree_fields``,
which orders siblings like django-mptt's ``order_insertion_by`` (by code) and writes only the
rows whose fields changed. Callers hold the tree lock (``services.lock_tree``).
"""

from __future__ import annotations

from collections import defaultdict

from organizations.models import Organization


def rebuild_tree_fields() -> int:
    rows = list(
        Organization.objects.values_list(
            "id", "parent_id", "code", "tree_id", "lft", "rght", "level"
        )
    )
    children: dict[int | None, list[tuple[str, int]]] = defaultdict(list)
    current: dict[int, tuple[int, int, int, int]] = {}
    for pk, parent_id, code, tree_id, lft, rght, level in rows:
        children[parent_id].append((code, pk))
        current[pk] = (tree_id, lft, rght, level)
    for siblings in children.values():
        siblings.sort()

    computed: dict[int, tuple[int, int, int, int]] = {}
    for tree_id, (_, root) in enumerate(children[None], start=1):
        counter = 1
        # Iterative depth-first walk: (node, level, entering?)
        stack: list[tuple[int, int, bool]] = [(root, 0, True)]
        lefts: dict[int, int] = {}
        while stack:
            node, level, entering = stack.pop()
            if entering:
                lefts[node] = counter
                counter += 1
                stack.append((node, level, False))
                for _, child in reversed(children.get(node, [])):
                    stack.append((child, level + 1, True))
            else:
                computed[node] = (tree_id, lefts[node], counter, level)
                counter += 1

    changed = []
    for pk, values in computed.items():
        if current[pk] != values:
            obj = Organization(pk=pk)
            obj.tree_id, obj.lft, obj.rght, obj.level = values
            changed.append(obj)
    if changed:
        Organization.objects.bulk_update(
            changed, ["tree_id", "lft", "rght", "level"], batch_size=2000
        )
    return len(changed)


def load_nodes(
    new: list[Organization],
    changed: list[Organization],
    parent_codes: dict[str, str | None],
    *,
    update_fields: list[str],
    batch_size: int = 2000,
) -> None:
    """Bulk-write nodes whose parents are given by code (in the batch or already stored),
    then recompute the tree fields once. New nodes carry placeholder tree fields."""
    for obj in new:
        obj.tree_id = obj.lft = obj.rght = obj.level = 0
    if new:
        Organization.objects.bulk_create(new, batch_size=batch_size)
    if changed:
        Organization.objects.bulk_update(changed, update_fields, batch_size=batch_size)
    codes = list(set(parent_codes) | {p for p in parent_codes.values() if p})
    ids: dict[str, int] = {}
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        ids.update(Organization.objects.filter(code__in=chunk).values_list("code", "id"))
    relinked = []
    for obj in [*new, *changed]:
        obj.pk = obj.pk or ids[obj.code]
        parent = parent_codes[obj.code]
        obj.parent_id = ids[parent] if parent else None
        relinked.append(obj)
    Organization.objects.bulk_update(relinked, ["parent"], batch_size=batch_size)
    rebuild_tree_fields()
