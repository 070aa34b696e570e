"""Per-request CPU savings in Django REST framework, applied once at start-up (core.apps).

Measured on the API lists (docs/performance.md): DRF looks at every attribute a serializer
field reads with ``is_simple_callable``, and for each ``get_<field>_display`` (a new
``functools.partial`` on every row) or model method it runs ``inspect.signature`` — about a
third of the serialisation time of a 50-row page. Whether a callable takes no arguments only
depends on the underlying function and, for a partial, on how many positional arguments and
which keywords it binds, so the answer is remembered per function (weakly, so functions
created at run time are not kept alive) and the rules stay DRF's own. ``get_attribute`` (every
field of every row) reads model instances without the ``Mapping`` ABC check first. Both are
DRF's own module functions replaced in ``fields`` and ``relations``; the results are the same
(tests/core/test_api_speedups.py compares them with DRF's).
"""

from __future__ import annotations

import functools
import inspect
import types
import weakref
from collections.abc import Mapping

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from rest_framework import fields as drf_fields
from rest_framework import relations as drf_relations

_original_is_simple_callable = drf_fields.is_simple_callable
_answers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _shape(obj):
    """(plain function, shape key) when the answer is cacheable, else None."""
    if isinstance(obj, types.FunctionType):
        return obj, ("f",)
    if isinstance(obj, types.MethodType):
        if isinstance(obj.__func__, types.FunctionType):
            return obj.__func__, ("m",)
        return None
    if type(obj) is functools.partial:
        inner = _shape(obj.func)
        if inner is None or inner[1][0] == "p":
            return None
        return inner[0], ("p", inner[1][0], len(obj.args), frozenset(obj.keywords))
    return None


def is_simple_callable(obj):
    """DRF's ``is_simple_callable`` with the signature answer cached per function."""
    if not callable(obj):
        return False
    if inspect.isbuiltin(obj):
        return _original_is_simple_callable(obj)
    shape = _shape(obj)
    if shape is None:
        return _original_is_simple_callable(obj)
    func, key = shape
    try:
        per_func = _answers[func]
    except KeyError:
        per_func = _answers[func] = {}
    except TypeError:  # not weak-referenceable
        return _original_is_simple_callable(obj)
    try:
        return per_func[key]
    except KeyError:
        answer = per_func[key] = _original_is_simple_callable(obj)
        return answer


_original_get_attribute = drf_fields.get_attribute


def get_attribute(instance, attrs):
    """DRF's ``get_attribute`` (every field of every row goes through it) with model instances
    read without the ``Mapping`` ABC check and non-callables skipped before the callable check."""
    for attr in attrs:
        try:
            if isinstance(instance, Model) or not isinstance(instance, Mapping):
                instance = getattr(instance, attr)
            else:
                instance = instance[attr]
        except ObjectDoesNotExist:
            return None
        if callable(instance) and is_simple_callable(instance):
            try:
                instance = instance()
            except (AttributeError, KeyError) as exc:
                # As DRF: not to be mistaken for an omitted field.
                raise ValueError(
                    f'Exception raised in callable attribute "{attr}"; original exception was: {exc}'
                ) from exc
    return instance


_MODULES = (drf_fields, drf_relations)  # relations.py imports both names from fields.py


def install() -> None:
    for module in _MODULES:
        module.is_simple_callable = is_simple_callable
        module.get_attribute = get_attribute


def uninstall() -> None:
    """Back to DRF's own functions (benchmarks compare both in one process)."""
    for module in _MODULES:
        module.is_simple_callable = _original_is_simple_callable
        module.get_attribute = _original_get_attribute
