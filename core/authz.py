"""A user's permissions and scope in one plain SQL query, once per request.

Every API request asks two things before it reads a row: the model permission
(``DjangoModelPermissions`` → ``ModelBackend``: two ORM queries, user and group permissions)
and the user's scope (``core.scope.scope_ranges``: one more). Building those three querysets
through the ORM was ≈ 20% of the fixed CPU of a list request (docs/performance.md). Here the
same answers come from one hand-written statement (user permissions, group permissions and
scope assignments, ``UNION ALL``), kept on the user object for the rest of the request under
the attribute names Django's ``ModelBackend`` (``_perm_cache``) and ``core.scope`` already
read, so ``user.has_perm`` and ``scope_ranges`` answer from it with no query of their own.
``ScopedModelPermissions`` (every API view) and ``scope_ranges`` call ``ensure``.

Nothing is kept across requests: a role, permission or scope change takes effect on the very
next request in every worker, with no invalidation to get wrong (a versioned shared cache
would save the round trip but not the CPU, which is what this was about). Table and column
names come from the models' ``_meta``; the statement runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, router

PERM_CACHE = "_perm_cache"  # ModelBackend's own attribute name
SCOPE_CACHE = "_scope_ranges_cache"  # core.scope's

_statements: dict[tuple[str, str, str], str] = {}


def _statement(alias: str) -> str:
    key = (alias, settings.SCOPE_ASSIGNMENT_MODEL, settings.AUTH_USER_MODEL)
    sql = _statements.get(key)
    if sql is not None:
        return sql
    q = connections[alias].ops.quote_name
    User = get_user_model()
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    user_perms = User._meta.get_field("user_permissions")
    user_groups = User._meta.get_field("groups")
    group_perms = Group._meta.get_field("permissions")
    content_type = Permission._meta.get_field("content_type")
    ContentType = content_type.related_model
    Assignment = apps.get_model(settings.SCOPE_ASSIGNMENT_MODEL)
    assignment_user = Assignment._meta.get_field("user")
    assignment_org = Assignment._meta.get_field("organization")
    Organization = assignment_org.related_model

    def col(model, name):
        return q(model._meta.get_field(name).column)

    perm, ct, org = q(Permission._meta.db_table), q(ContentType._meta.db_table), "o"
    sql = (
        # user permissions and group permissions (a set: duplicates do not matter)
        f"SELECT 1, ct.{col(ContentType, 'app_label')}, p.{col(Permission, 'codename')}, "
        f"NULL, NULL, NULL FROM {perm} p "
        f"INNER JOIN {ct} ct ON ct.{q(ContentType._meta.pk.column)} = p.{q(content_type.column)} "
        f"WHERE p.{q(Permission._meta.pk.column)} IN ("
        f"SELECT up.{q(user_perms.m2m_reverse_name())} FROM {q(user_perms.m2m_db_table())} up "
        f"WHERE up.{q(user_perms.m2m_column_name())} = %s"
        f") OR p.{q(Permission._meta.pk.column)} IN ("
        f"SELECT gp.{q(group_perms.m2m_reverse_name())} FROM {q(group_perms.m2m_db_table())} gp "
        f"INNER JOIN {q(user_groups.m2m_db_table())} ug "
        f"ON ug.{q(user_groups.m2m_reverse_name())} = gp.{q(group_perms.m2m_column_name())} "
        f"WHERE ug.{q(user_groups.m2m_column_name())} = %s)"
        " UNION ALL "
        # scope: the organisations' subtrees
        f"SELECT 2, NULL, NULL, {org}.{col(Organization, 'tree_id')}, "
        f"{org}.{col(Organization, 'lft')}, {org}.{col(Organization, 'rght')} "
        f"FROM {q(Assignment._meta.db_table)} sa INNER JOIN {q(Organization._meta.db_table)} {org} "
        f"ON {org}.{q(Organization._meta.pk.column)} = sa.{q(assignment_org.column)} "
        f"WHERE sa.{q(assignment_user.column)} = %s"
    )
    _statements[key] = sql
    return sql


def nested_ranges_dropped(rows):
    """(tree_id, lft, rght) rows sorted, without a range nested inside one already kept."""
    ranges = []
    for tree_id, lft, rght in sorted(rows):
        if ranges and ranges[-1][0] == tree_id and ranges[-1][1] <= lft <= ranges[-1][2]:
            continue
        ranges.append((tree_id, lft, rght))
    return ranges


def ensure(user) -> None:
    """Load once per user object (per request): nothing to load for anonymous, inactive and
    superuser accounts (Django's ``ModelBackend`` and ``scope_ranges`` answer those without
    the tables), nor when the permission set is already there."""
    if (
        user is None
        or not user.is_authenticated
        or not user.is_active
        or user.is_superuser
        or hasattr(user, PERM_CACHE)
    ):
        return
    load(user)


def load(user) -> None:
    """Fill the user's permission set and scope ranges (an active, non-superuser account)."""
    alias = router.db_for_read(get_user_model(), instance=user)
    with connections[alias].cursor() as cursor:
        cursor.execute(_statement(alias), [user.pk, user.pk, user.pk])
        rows = cursor.fetchall()
    perms = {f"{app_label}.{codename}" for kind, app_label, codename, *_ in rows if kind == 1}
    scope = nested_ranges_dropped(tuple(row[3:]) for row in rows if row[0] == 2)
    setattr(user, PERM_CACHE, perms)
    setattr(user, SCOPE_CACHE, scope)
