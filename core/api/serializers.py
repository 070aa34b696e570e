"""The base every API model serializer uses.

- Link fields (``SlugRelatedField`` and friends, single or many) take their choices from
  ``core.links.linkable`` for the writer, following the model's ``link_scopes``: an
  out-of-scope code then reads "does not exist" (400), exactly like an unknown one.
- Every link field's errors name the record the way people know it — by its code and the
  target's Chinese label ("找不到编码为“A-W9”的网格员。") — never by database id
  (``name_links``, also used by plain action serializers through ``LinkSerializer``). A record
  of the wrong kind (the model field's ``limit_choices_to``) is refused by the model's own
  check, which the exception handler words without the id.
- Fields a workflow service owns (the model's ``workflow_fields`` and its ``SERVICE`` links)
  are read-only, so they cannot be mass-assigned on create or update; the OpenAPI schema marks
  them ``readOnly``. They change through the action endpoints.
"""

from __future__ import annotations

import weakref

from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, RelatedField

from core.links import linkable, service_fields


def _model_link(model, source: str):
    try:
        field = model._meta.get_field(source)
    except FieldDoesNotExist:  # a serializer-only attribute
        return None
    return field if field.is_relation and getattr(field, "concrete", False) else None


OWNED_MESSAGE = "该字段由业务流程维护，请使用相应的操作接口更改。"


def _braces(text: str) -> str:
    return str(text).replace("{", "{{").replace("}", "}}")


def _label(model, field_name: str) -> str:
    try:
        return str(model._meta.get_field(field_name).verbose_name)
    except FieldDoesNotExist:
        return "编码"


def name_links(fields) -> None:
    """Give every writable link field messages that name the target by its code and Chinese
    label. DRF's own say "属性 code 为 X 的对象不存在" or "无效主键 “87”"."""
    for field in fields.values():
        if field.read_only:
            continue
        relation = field.child_relation if isinstance(field, ManyRelatedField) else field
        if not isinstance(relation, RelatedField) or relation.queryset is None:
            continue
        target = relation.queryset.model
        name = _braces(target._meta.verbose_name)
        slug = getattr(relation, "slug_field", None)
        if slug:
            key = _braces(_label(target, slug))
            missing = f"找不到{key}为“{{value}}”的{name}。"
            wrong = f"{name}的{key}格式不正确。"
        else:  # by primary key: never echo the id
            missing = f"找不到所选的{name}。"
            wrong = f"请选择一个{name}。"
        relation.error_messages = {
            **relation.error_messages,
            "does_not_exist": missing,
            "invalid": wrong,
            "incorrect_type": wrong,
            "required": f"请填写{name}。",
            "null": f"请填写{name}。",
        }


class LinkSerializer(serializers.Serializer):
    """A plain (action) serializer whose link fields speak like the model serializers'."""

    def get_fields(self):
        fields = super().get_fields()
        name_links(fields)
        return fields


# Serializer class → the field map ModelSerializer built for it the first time (never bound);
# weak, so a serializer class made at run time does not stay for ever.
_field_templates: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fresh(field: serializers.Field) -> serializers.Field:
    """A new, unbound field made from the arguments ``field`` was made with (what
    ``Field.__deepcopy__`` does, without deep-copying querysets, choices and the like, which
    fields only read); nested fields and serializers (``child``, ``child_relation``) are made
    fresh as well."""
    args = [_fresh(a) if isinstance(a, serializers.Field) else a for a in field._args]
    kwargs = {
        key: _fresh(value) if isinstance(value, serializers.Field) else value
        for key, value in field._kwargs.items()
    }
    return type(field)(*args, **kwargs)


def _describe_empty(model, source: str, field: serializers.Field) -> None:
    """A read-only field answers what the model holds: DRF drops ``allow_null`` and
    ``allow_blank`` from read-only fields it builds, so the schema said a link that may be empty
    (a case's household, a meeting's chair) is always a string and a blank choice is not one of
    the choices. Say what the column allows."""
    if "." in source or source == "*":
        return
    try:
        column = model._meta.get_field(source)
    except FieldDoesNotExist:
        return
    if not getattr(column, "concrete", False):
        return
    if column.null:
        field.allow_null = True
    if column.blank and isinstance(field, serializers.ChoiceField):
        field.allow_blank = True


class ScopedModelSerializer(serializers.ModelSerializer):
    def get_fields(self):
        """ModelSerializer's field map, built (model introspection, ``build_field``, extra
        kwargs) once per serializer class and copied per use: ≈ 10% of the fixed CPU of a
        list request was rebuilding it. The map must not depend on the request (nothing in
        ``Meta``, ``get_extra_kwargs`` or ``build_field`` may read ``self.context``); the
        per-request part — the writer's link choices below — is applied to each copy.
        tests/core/test_api_speedups.py compares every API serializer's fields with a fresh
        build."""
        template = _field_templates.get(type(self))
        if template is None:
            template = _field_templates[type(self)] = super().get_fields()
        return self.scope_fields({name: _fresh(field) for name, field in template.items()})

    def scope_fields(self, fields):
        """Workflow-owned fields read-only; link fields with the writer's choices."""
        model = self.Meta.model
        owned = set(service_fields(model))
        self._owned = []
        for name, field in fields.items():
            source = field.source or name  # set by bind(), which comes later
            if source in owned:
                field.read_only = True
                field.required = False
                self._owned.append(name)
            if field.read_only:
                _describe_empty(model, source, field)
                continue
            relation = field.child_relation if isinstance(field, ManyRelatedField) else field
            if not isinstance(relation, RelatedField) or relation.queryset is None:
                continue
            if _model_link(model, source) is None:
                continue
            request = self.context.get("request")
            if request is not None:
                _defer_linkable(relation, request.user, model, source)
        name_links(fields)
        return fields

    def to_internal_value(self, data):
        """A workflow-owned field sent with a different value is refused (400), never silently
        dropped; sending back the value as read (GET, edit, PUT) is fine."""
        value = super().to_internal_value(data)
        if not hasattr(data, "get"):
            return value
        errors = {}
        for name in getattr(self, "_owned", ()):
            if name not in data:
                continue
            field = self.fields[name]
            if self.instance is not None:
                current = field.to_representation(field.get_attribute(self.instance))
            else:
                current = _default(self.Meta.model, field.source)
            if _text(data.get(name)) != _text(current):
                errors[name] = [OWNED_MESSAGE]
        if errors:
            raise serializers.ValidationError(errors)
        return value


def _defer_linkable(relation: RelatedField, user, model, source: str) -> None:
    """Give ``relation`` the writer's ``core.links`` choices, built on first use.

    Building the linkable queryset (scope look-ups, subqueries) cost ≈ 20% of the CPU of a list
    request whose serializer never reads it (a GET renders, it does not validate links). Every
    reader goes through ``get_queryset()`` (validation, choices, the browsable API's forms),
    which now builds it once; ``queryset`` itself holds an empty queryset of the same model,
    so a reader of the attribute (the schema generator wants only its model) sees no rows
    rather than unscoped ones.
    """
    built = []

    def get_queryset():
        if not built:
            built.append(linkable(user, model, source))
        return built[0].all()

    relation.queryset = relation.queryset.none()
    relation.get_queryset = get_queryset
    relation.linkable = True


def _default(model, source: str):
    try:
        field = model._meta.get_field(source)
    except FieldDoesNotExist:
        return None
    return field.get_default() if field.has_default() else None


def _text(value) -> str:
    return "" if value is None else str(value)
