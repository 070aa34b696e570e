"""One rule for every link: which records a writer may point a foreign key at.

Each model declares, once, how far each of its writable links may reach::

    link_scopes = {
        "branch": LinkScope.IN_SCOPE,
        "work_unit": LinkScope.IN_SCOPE_OR_ABOVE,
        "created_by": LinkScope.SERVICE,
    }

- ``IN_SCOPE``: the target is visible to the writer (``visible_to``: their subtrees, plus any
  widening the target model defines, e.g. partner units co-building with the community).
- ``IN_SCOPE_OR_ABOVE``: also a target anchored at an ancestor of the writer's nodes (a
  community cadre may pick a unit registered with the street, or the street's own bodies).
- ``STREET``: anywhere in the street(s) the writer works in (their subtrees widened up to the
  nearest street committee; a district node stays its own subtree). Never another street.
- ``UNSCOPED``: shared reference data with no organisation (skills, indicator sets).
- ``SERVICE``: set only by workflow services (actors, confirmations, content types): read-only
  in the API and the admin, never checked against the writer.

``linkable(user, model, field)`` is the queryset of allowed targets; the API related fields
and the admin foreign-key choices use it, and ``check_links`` re-checks every changed link in
``core.services.scoped_save``. An out-of-scope target is refused exactly like an unknown one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q

from core.scope import scope_q, scope_ranges


class LinkScope(StrEnum):
    IN_SCOPE = "in_scope"
    IN_SCOPE_OR_ABOVE = "in_scope_or_above"
    STREET = "street"
    UNSCOPED = "unscoped"
    SERVICE = "service"


NOT_FOUND = "对象不存在。"

# Users carry no scope_path: a user is anchored by their scope assignments and, for residents,
# by their portal profile's community.
_USER_PATHS = ("scope_assignments__organization", "resident__community")


def writable_links(model: type[models.Model]) -> list[models.Field]:
    """Every editable foreign key, one-to-one and many-to-many field of ``model``."""
    return [
        f
        for f in model._meta.get_fields()
        if getattr(f, "concrete", False)
        and f.is_relation
        and getattr(f, "editable", False)
        and (f.many_to_one or f.one_to_one or f.many_to_many)
    ]


def link_scope(model: type[models.Model], field_name: str) -> LinkScope:
    declared = getattr(model, "link_scopes", None) or {}
    try:
        return LinkScope(declared[field_name])
    except KeyError:
        raise ImproperlyConfigured(
            f"{model._meta.label}.{field_name}: no entry in link_scopes"
        ) from None


def _above_q(user, path: str) -> Q:
    """Targets anchored at an ancestor of one of the user's nodes."""
    prefix = f"{path}__" if path else ""
    q = Q(pk__in=[])
    for tree_id, lft, rght in scope_ranges(user) or []:
        q |= Q(**{f"{prefix}tree_id": tree_id, f"{prefix}lft__lt": lft, f"{prefix}rght__gt": rght})
    return q


def _street_q(user, path: str) -> Q:
    """Targets anchored in a street committee's subtree that also holds one of the user's
    nodes (a subquery: choices are built without a query of their own)."""
    Organization = apps.get_model("organizations", "Organization")  # core imports no app

    prefix = f"{path}__" if path else ""
    holds = Q(pk__in=[])
    for tree_id, lft, rght in scope_ranges(user) or []:
        holds |= Q(tree_id=tree_id, lft__lte=lft, rght__gte=rght)
    streets = Organization.objects.filter(
        holds,
        kind="street_committee",
        tree_id=OuterRef(f"{prefix}tree_id"),
        lft__lte=OuterRef(f"{prefix}lft"),
        rght__gte=OuterRef(f"{prefix}lft"),
    )
    return Q(Exists(streets))


def _paths(target: type[models.Model]) -> tuple[str, ...] | None:
    if target is get_user_model():
        return _USER_PATHS
    path = getattr(target, "scope_path", None)
    return None if path is None else (path,)


def linkable_targets(user, target: type[models.Model], kind: LinkScope) -> models.QuerySet:
    """The ``target`` records ``user`` may link to under ``kind``."""
    queryset = target._default_manager.all()
    paths = _paths(target)
    if kind in (LinkScope.UNSCOPED, LinkScope.SERVICE) or paths is None:
        return queryset
    if scope_ranges(user) is None:  # superuser
        return queryset
    if hasattr(queryset, "visible_to"):
        visible = Q(pk__in=queryset.visible_to(user).values("pk"))
    else:
        visible = Q(pk__in=[])
        for path in paths:
            visible |= scope_q(user, path)
        if target is get_user_model() and getattr(user, "pk", None):
            visible |= Q(pk=user.pk)
    q = visible
    for path in paths:
        if kind == LinkScope.IN_SCOPE_OR_ABOVE:
            q |= _above_q(user, path)
        elif kind == LinkScope.STREET:
            q |= _street_q(user, path)
    return queryset.filter(q).distinct() if target is get_user_model() else queryset.filter(q)


def linkable(user, model: type[models.Model], field_name: str) -> models.QuerySet:
    """The records ``user`` may put into ``model.field_name``."""
    field = model._meta.get_field(field_name)
    return linkable_targets(user, field.related_model, link_scope(model, field_name))


def _changed(instance, stored, field) -> Any:
    value = getattr(instance, field.attname)
    if value is None:
        return None
    if stored is not None and getattr(stored, field.attname) == value:
        return None
    return value


def check_links(*, actor, instance: models.Model, stored: models.Model | None = None) -> None:
    """Refuse every foreign key of ``instance`` that changed (compared with ``stored``) and
    points outside what ``actor`` may link to; the message is the one for an unknown record."""
    errors: dict[str, list[str]] = {}
    model = type(instance)
    for field in writable_links(model):
        if field.many_to_many:
            continue  # not on the instance; see check_many
        kind = link_scope(model, field.name)
        if kind in (LinkScope.UNSCOPED, LinkScope.SERVICE):
            continue
        value = _changed(instance, stored, field)
        if value is None:
            continue
        target_field = field.target_field.attname
        allowed = linkable_targets(actor, field.related_model, kind)
        if not allowed.filter(**{target_field: value}).exists():
            errors[field.name] = [NOT_FOUND]
    if errors:
        raise ValidationError(errors)


def check_many(*, actor, model: type[models.Model], field_name: str, values) -> None:
    """The many-to-many counterpart of ``check_links`` (``values``: instances or pks)."""
    kind = link_scope(model, field_name)
    if kind in (LinkScope.UNSCOPED, LinkScope.SERVICE):
        return
    pks = {getattr(v, "pk", v) for v in values}
    if not pks:
        return
    related = model._meta.get_field(field_name).related_model
    found = set(
        linkable_targets(actor, related, kind).filter(pk__in=pks).values_list("pk", flat=True)
    )
    if found != pks:
        raise ValidationError({field_name: [NOT_FOUND]})


def service_fields(model: type[models.Model]) -> tuple[str, ...]:
    """Fields owned by workflow services: ``workflow_fields`` plus ``SERVICE`` links."""
    links = getattr(model, "link_scopes", None) or {}
    return tuple(
        dict.fromkeys(
            [
                *getattr(model, "workflow_fields", ()),
                *(name for name, kind in links.items() if LinkScope(kind) == LinkScope.SERVICE),
            ]
        )
    )


def resolve_codes(
    queryset: models.QuerySet, codes, *, field: str = "code", label: str = "编码"
) -> list[models.Model]:
    """Look codes up in an already scoped ``queryset`` (e.g. ``linkable(...)``): an unknown
    code and one out of reach give the same error, which names only the codes sent."""
    codes = [str(c) for c in codes]
    found = {str(getattr(o, field)): o for o in queryset.filter(**{f"{field}__in": codes})}
    missing = [c for c in dict.fromkeys(codes) if c not in found]
    if missing:
        raise ValidationError(f"{label}{'、'.join(missing)}：{NOT_FOUND}")
    return [found[c] for c in codes]
