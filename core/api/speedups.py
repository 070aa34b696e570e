"""Per-request CPU savings in Django REST framework, applied once at start-up (core.apps).

Measured on the API lists (docs/performance.md): DRF looks at every attribute a serializer
field reads with ``is_simple_callable``, and for each ``get_<field>_display`` (a new
``functools.partial`` on every row) or model method it runs ``inspect.signature`` — about a
third of the serialisation time of a 50-row page. Whether a callable takes no arguments only
depends on the underlying function and, for a partial, on how many positional arguments and
which keywords it binds, so the answer is remembered per function (weakly, so functions
created at run time are not kept alive) and the rules stay DRF's own.
"""

from __future__ import annotations

import functools
import inspect
import types
import weakref

from rest_framework import fields as drf_fields

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
    if not callable(obj) or inspect.isbuiltin(obj):
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


def install() -> None:
    drf_fields.is_simple_callable = is_simple_callable
