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

from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from functools import cache
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


_STORED = object()  # ``check_links(stored=…)`` not given: read the stored row if there is one


def _stored_row(instance: models.Model) -> models.Model | None:
    if instance._state.adding or instance.pk is None:
        return None
    return type(instance)._base_manager.filter(pk=instance.pk).first()


def check_links(*, actor, instance: models.Model, stored: Any = _STORED) -> None:
    """Refuse every foreign key of ``instance`` that changed (compared with ``stored``; by
    default the stored row, none for a new record) and points outside what ``actor`` may link
    to; the message is the one for an unknown record. Marks the links as checked (see the guard
    below)."""
    if stored is _STORED:
        stored = _stored_row(instance) if checked_fields(type(instance)) else None
    errors: dict[str, list[str]] = {}
    model = type(instance)
    for field in checked_fields(model):
        kind = link_scope(model, field.name)
        value = _changed(instance, stored, field)
        if value is None:
            continue
        target_field = field.target_field.attname
        allowed = linkable_targets(actor, field.related_model, kind)
        if not allowed.filter(**{target_field: value}).exists():
            errors[field.name] = [NOT_FOUND]
    if errors:
        raise ValidationError(errors)
    _mark(instance, checked_fields(model))


def check_target(*, actor, obj: models.Model | None, field: str, kind=LinkScope.IN_SCOPE) -> None:
    """``check_links`` for a link that is no foreign key of the record written (a generic
    reference such as a task's assignee, or a record a service acts on behalf of): ``obj``
    must be one ``actor`` may link to under ``kind``, else ``{field: ["对象不存在。"]}``."""
    if obj is None:
        return
    allowed = linkable_targets(actor, type(obj), LinkScope(kind))
    if not allowed.filter(pk=obj.pk).exists():
        raise ValidationError({field: [NOT_FOUND]})


def derived(instance: models.Model, *names: str) -> models.Model:
    """Declare links the service set itself from records already checked or in reach (a
    progress note's task, a photo's case): nothing to check, and the guard is told so."""
    model = type(instance)
    _mark(instance, [model._meta.get_field(n) for n in names])
    return instance


def check_links_bulk(*, actor, instances: list[models.Model]) -> dict[int, dict[str, list[str]]]:
    """``check_links`` for many records of one model in a few queries (imports): for each
    record whose links changed, by position, the refused fields. New records are compared with
    nothing, stored ones with their rows (read in chunks)."""
    if not instances:
        return {}
    model = type(instances[0])
    fields = checked_fields(model)
    if not fields:
        return {}
    attnames = [f.attname for f in fields]
    stored: dict[Any, dict[str, Any]] = {}
    pks = [o.pk for o in instances if not o._state.adding and o.pk is not None]
    for start in range(0, len(pks), 5000):
        rows = model._base_manager.filter(pk__in=pks[start : start + 5000]).values("pk", *attnames)
        stored.update({row["pk"]: row for row in rows})
    wanted: dict[str, set[Any]] = {f.name: set() for f in fields}
    for obj in instances:
        before = stored.get(obj.pk, {}) if not obj._state.adding else {}
        for f in fields:
            value = getattr(obj, f.attname)
            if value is not None and before.get(f.attname) != value:
                wanted[f.name].add(value)
    allowed: dict[str, set[Any]] = {}
    for f in fields:
        values = list(wanted[f.name])
        allowed[f.name] = set()
        targets = linkable_targets(actor, f.related_model, link_scope(model, f.name))
        column = f.target_field.attname
        for start in range(0, len(values), 5000):
            allowed[f.name].update(
                targets.filter(**{f"{column}__in": values[start : start + 5000]}).values_list(
                    column, flat=True
                )
            )
    errors: dict[int, dict[str, list[str]]] = {}
    for index, obj in enumerate(instances):
        before = stored.get(obj.pk, {}) if not obj._state.adding else {}
        for f in fields:
            value = getattr(obj, f.attname)
            if value is None or before.get(f.attname) == value:
                continue
            if value not in allowed[f.name]:
                errors.setdefault(index, {})[f.name] = [NOT_FOUND]
        if index not in errors:
            _mark(obj, fields)
    return errors


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
    checked = _checked_many.get()
    if checked is not None:
        checked.setdefault((model._meta.label, field_name), set()).update(pks)


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


# ---- the guard: a save that forgets the rule fails the tests -----------------------------
#
# ``check_links``, ``check_links_bulk`` and ``derived`` mark the links of an instance as
# checked (the values they saw). While a guard is active (``guarded()``: the test suite wraps
# every request in it, see tests/conftest.py), every save of a model with checked links
# (``IN_SCOPE``, ``IN_SCOPE_OR_ABOVE``, ``STREET``) must have each changed link marked, and
# every many-to-many add must have gone through ``check_many``; otherwise the save is refused
# with ``LinksNotChecked`` and recorded. Work done for nobody (seeding, Celery jobs without an
# actor) runs in ``system()``, where the guard is off.

_mode: ContextVar[str | None] = ContextVar("links_guard", default=None)
_checked_many: ContextVar[dict | None] = ContextVar("links_checked_many", default=None)
_violations: list[str] = []
_UNMARKED = object()


class LinksNotChecked(AssertionError):
    """A service saved an actor-chosen link without ``core.links`` looking at it."""


@cache
def checked_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The foreign keys of ``model`` that ``check_links`` checks (declared reach, not
    ``UNSCOPED``/``SERVICE``)."""
    return tuple(
        f
        for f in writable_links(model)
        if not f.many_to_many
        and link_scope(model, f.name) not in (LinkScope.UNSCOPED, LinkScope.SERVICE)
    )


def _mark(instance: models.Model, fields) -> None:
    marks = instance.__dict__.setdefault("_links_checked", {})
    for f in fields:
        marks[f.attname] = getattr(instance, f.attname)


@contextmanager
def guarded():
    """Saves in this block are an actor's: unchecked links are refused (tests)."""
    mode, many = _mode.set("actor"), _checked_many.set({})
    try:
        yield
    finally:
        _mode.reset(mode)
        _checked_many.reset(many)


@contextmanager
def system():
    """Saves in this block are the system's own (no actor chose the links)."""
    token = _mode.set("system")
    try:
        yield
    finally:
        _mode.reset(token)


def _refuse(message: str) -> None:
    _violations.append(message)
    raise LinksNotChecked(message)


def _unchecked(sender, instance, update_fields) -> list[str]:
    fields = checked_fields(sender) if getattr(sender, "link_scopes", None) else ()
    if update_fields is not None:
        fields = [f for f in fields if f.name in update_fields or f.attname in update_fields]
    marks = instance.__dict__.get("_links_checked", {})
    pending = [
        f
        for f in fields
        if getattr(instance, f.attname) is not None
        and marks.get(f.attname, _UNMARKED) != getattr(instance, f.attname)
    ]
    if pending and not instance._state.adding and instance.pk is not None:
        row = (
            sender._base_manager.filter(pk=instance.pk)
            .values(*[f.attname for f in pending])
            .first()
        )
        if row is not None:
            pending = [f for f in pending if row[f.attname] != getattr(instance, f.attname)]
    return [f.name for f in pending]


def _pre_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or _mode.get() != "actor":
        return
    names = _unchecked(sender, instance, update_fields)
    if names:
        _refuse(f"{sender._meta.label}.{'/'.join(names)} saved without core.links.check_links")


def _m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if action != "pre_add" or reverse or _mode.get() != "actor" or not pk_set:
        return
    owner = type(instance)
    if getattr(owner, "link_scopes", None) is None:
        return
    for field in owner._meta.many_to_many:
        if field.remote_field.through is sender:
            break
    else:
        return
    if link_scope(owner, field.name) in (LinkScope.UNSCOPED, LinkScope.SERVICE):
        return
    checked = (_checked_many.get() or {}).get((owner._meta.label, field.name), set())
    if not set(pk_set) <= checked:
        _refuse(f"{owner._meta.label}.{field.name} added without core.links.check_many")


def install_guard() -> None:
    """Connect the guard (idempotent); it acts only inside ``guarded()``."""
    from django.db.models.signals import m2m_changed, pre_save

    pre_save.connect(_pre_save, dispatch_uid="core.links.guard")
    m2m_changed.connect(_m2m_changed, dispatch_uid="core.links.guard.m2m")


def take_violations() -> list[str]:
    """The refusals recorded since the last call (the test suite fails a test that has any,
    even when a view turned the exception into an answer)."""
    found = list(_violations)
    _violations.clear()
    return found
