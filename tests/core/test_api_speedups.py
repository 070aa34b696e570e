"""core.api.speedups: DRF's "is this a no-argument callable" check, cached per function, must
give DRF's own answer for every kind of callable and inspect each function's signature once."""

from __future__ import annotations

import functools
import inspect

import pytest
from rest_framework import fields as drf_fields
from rest_framework import serializers

from core.api import speedups


def plain():
    return 1


def needs_arg(x):
    return x


def with_default(x=1):
    return x


def var_args(*args, **kwargs):
    return args


class Thing:
    def method(self):
        return "m"

    def method_arg(self, x):
        return x

    def _display(self, *, field):
        return f"shown {field}"

    get_status_display = functools.partialmethod(_display, field="status")

    @classmethod
    def klass(cls):
        return "c"

    @staticmethod
    def static(x):
        return x


def _callables():
    thing = Thing()
    return [
        plain,
        needs_arg,
        with_default,
        var_args,
        lambda: 1,
        lambda y: y,
        thing.method,
        thing.method_arg,
        thing.get_status_display,
        thing.klass,
        Thing.static,
        functools.partial(needs_arg, 1),
        functools.partial(needs_arg),
        functools.partial(needs_arg, x=2),
        functools.partial(thing.method_arg, 3),
        functools.partial(functools.partial(needs_arg), 1),
        Thing,
        "not callable",
        42,
        None,
    ]


def test_installed_at_start_up():
    assert drf_fields.is_simple_callable is speedups.is_simple_callable


@pytest.mark.parametrize("obj", _callables())
def test_same_answer_as_drf_twice(obj):
    expected = speedups._original_is_simple_callable(obj)
    assert speedups.is_simple_callable(obj) is expected
    assert speedups.is_simple_callable(obj) is expected  # from the cache


def test_builtins_still_refused():
    with pytest.raises(drf_fields.BuiltinSignatureError):
        speedups.is_simple_callable(len)


def test_partials_with_other_bindings_are_not_confused():
    assert speedups.is_simple_callable(functools.partial(needs_arg)) is False
    assert speedups.is_simple_callable(functools.partial(needs_arg, 1)) is True
    assert speedups.is_simple_callable(functools.partial(needs_arg, x=1)) is True
    assert speedups.is_simple_callable(functools.partial(needs_arg)) is False


def test_signature_inspected_once_for_a_display_method_on_many_rows(monkeypatch):
    calls = []
    real = inspect.signature

    def counting(obj, *args, **kwargs):
        calls.append(obj)
        return real(obj, *args, **kwargs)

    class Row:
        def _display(self, *, field):
            return f"{field}-{id(self)}"

        get_kind_display = functools.partialmethod(_display, field="kind")

    class RowSerializer(serializers.Serializer):
        kind_display = serializers.CharField(source="get_kind_display")

    monkeypatch.setattr(inspect, "signature", counting)
    rows = [Row() for _ in range(20)]
    data = RowSerializer(rows, many=True).data
    assert [d["kind_display"] for d in data] == [f"kind-{id(r)}" for r in rows]
    assert len(calls) == 1


class _Broken:
    @property
    def gone(self):
        from django.core.exceptions import ObjectDoesNotExist

        raise ObjectDoesNotExist

    def fails(self):
        raise KeyError("x")


def test_get_attribute_installed_for_fields_and_relations():
    from rest_framework import relations

    assert drf_fields.get_attribute is speedups.get_attribute
    assert relations.get_attribute is speedups.get_attribute
    assert relations.is_simple_callable is speedups.is_simple_callable


@pytest.mark.parametrize(
    ("instance", "attrs"),
    [
        ({"a": {"b": 3}}, ["a", "b"]),
        ({"f": plain}, ["f"]),
        (Thing(), ["get_status_display"]),
        (Thing(), ["method"]),
        (Thing(), ["method_arg"]),
        (_Broken(), ["gone"]),
    ],
)
def test_get_attribute_same_as_drf(instance, attrs):
    expected = speedups._original_get_attribute(instance, attrs)
    assert speedups.get_attribute(instance, attrs) == expected


def test_get_attribute_on_a_model_and_a_callable_that_fails():
    from django.contrib.auth.models import Group

    group = Group(name="网格员")
    assert speedups.get_attribute(group, ["name"]) == "网格员"
    with pytest.raises(ValueError, match="fails"):
        speedups.get_attribute(_Broken(), ["fails"])
    with pytest.raises(KeyError):
        speedups.get_attribute({}, ["missing"])


# Field maps built once per serializer class (core.api.serializers.ScopedModelSerializer).


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _signature(field):
    """What a field is: its class, the arguments it was made with (nested fields and querysets
    by what they are) and the attributes DRF derives from them."""
    from django.db.models import Manager, QuerySet

    def value(v):
        if isinstance(v, serializers.Field):
            return _signature(v)
        if isinstance(v, (QuerySet, Manager)):
            return ("queryset", v.model)
        if isinstance(v, (list, tuple)):
            return [value(x) for x in v]
        return v

    derived = {
        name: getattr(field, name, None)
        for name in ("read_only", "write_only", "required", "allow_null", "source", "label")
    }
    return (
        type(field),
        [value(a) for a in field._args],
        {k: value(v) for k, v in field._kwargs.items()},
        derived,
    )


@pytest.mark.django_db
def test_every_api_serializer_copies_the_same_fields_a_fresh_build_gives():
    from django.urls import get_resolver

    from core.api import serializers as scoped

    assert get_resolver().url_patterns  # imports every API module
    classes = [c for c in _all_subclasses(scoped.ScopedModelSerializer) if hasattr(c, "Meta")]
    assert len(classes) >= 40, classes
    for cls in classes:
        fresh = cls().scope_fields(serializers.ModelSerializer.get_fields(cls()))
        for _ in range(2):  # the first use builds the template, the second copies it
            copied = cls().get_fields()
            assert list(copied) == list(fresh), cls
            for name, field in copied.items():
                assert _signature(field) == _signature(fresh[name]), (cls, name)
                assert field is not scoped._field_templates[cls][name]


@pytest.mark.django_db
def test_copies_are_independent(users):
    from rest_framework.test import APIRequestFactory

    from organizations.api.serializers.members import MemberSerializer

    request = APIRequestFactory().get("/")
    request.user = users["cadre_a"]
    first = MemberSerializer(context={"request": request}).fields
    second = MemberSerializer(context={"request": request}).fields
    assert first["branch"] is not second["branch"]
    assert first["branch"].parent is not second["branch"].parent
    first["name"].read_only = True
    assert not second["name"].read_only
    assert not MemberSerializer().fields["name"].read_only
