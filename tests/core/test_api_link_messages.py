"""API validation messages name records by code and Chinese label, never by database id
(issue 18, item 4): every writable link field of every API serializer is walked."""

import re

import pytest
from django.apps import apps
from django.urls import get_resolver
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, RelatedField

pytestmark = pytest.mark.django_db

LEAKS = re.compile(r"\b(id|pk|instance|object)\b|主键|属性|对象不存在", re.IGNORECASE)
PROJECT_APPS = {
    c.name.split(".")[0] for c in apps.get_app_configs() if "site-packages" not in c.path
}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _project_serializers():
    assert get_resolver().url_patterns  # imports every API module
    found = {
        cls
        for cls in _subclasses(serializers.BaseSerializer)
        if cls.__module__.split(".")[0] in PROJECT_APPS and not cls.__module__.startswith("tests")
    }
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


class _Request:
    def __init__(self, user):
        self.user = user
        self.query_params = {}
        self.GET = {}
        self.method = "POST"


def _link_fields(user):
    for cls in _project_serializers():
        try:
            fields = cls(context={"request": _Request(user)}).fields
        except Exception:  # abstract bases (no Meta), serializers needing arguments
            continue
        for name, field in fields.items():
            if field.read_only:
                continue
            relation = field.child_relation if isinstance(field, ManyRelatedField) else field
            if isinstance(relation, RelatedField) and relation.queryset is not None:
                yield cls, name, field, relation


def test_every_writable_link_names_the_record_by_code_and_label(users):
    checked = 0
    for cls, name, field, relation in _link_fields(users["street"]):
        model = relation.queryset.model
        slug = getattr(relation, "slug_field", None)
        value = "NO-SUCH-424242" if slug else 424242
        sent = [value] if isinstance(field, ManyRelatedField) else value
        with pytest.raises(serializers.ValidationError) as exc:
            field.run_validation(sent)
        text = " ".join(str(m) for m in _flat(exc.value.detail))
        where = f"{cls.__module__}.{cls.__name__}.{name}: {text}"
        assert str(model._meta.verbose_name) in text, where
        assert not LEAKS.search(text), where
        if not slug:
            assert "424242" not in text, where
        checked += 1
    assert checked >= 80  # every API serializer's links, not a handful


def _flat(detail):
    if isinstance(detail, dict):
        for value in detail.values():
            yield from _flat(value)
    elif isinstance(detail, list):
        for value in detail:
            yield from _flat(value)
    else:
        yield detail


def test_a_record_of_the_wrong_kind_reads_like_an_unknown_code(api, users, tree):
    """The reported "党组织 instance with id 87 is not a valid choice.": a grid whose community
    is given as the street (not a community committee)."""
    client = api(users["street"])
    payload = {"code": "X-G", "name": "新网格", "level": "community", "community": "S"}
    response = client.post("/api/v1/grids/", payload, format="json")
    assert response.status_code == 400
    text = str(response.json()["errors"])
    street = tree["street"]
    assert "党组织" in text and "instance" not in text and str(street.pk) not in text, text
    unknown = client.post("/api/v1/grids/", {**payload, "community": "NOPE"}, format="json")
    assert "找不到组织编码为“NOPE”的党组织" in str(unknown.json()["errors"])


def test_model_level_link_errors_drop_the_database_id():
    from django.core.exceptions import ValidationError

    from core.api.exceptions import _django_validation_to_drf

    error = ValidationError(
        {
            "branch": ValidationError(
                "%(model)s instance with %(field)s %(value)r is not a valid choice.",
                code="invalid",
                params={"model": "党组织", "pk": 87, "field": "id", "value": 87},
            )
        }
    )
    detail = _django_validation_to_drf(error).detail
    assert [str(m) for m in detail["branch"]] == ["所选党组织不在可选范围内。"]
