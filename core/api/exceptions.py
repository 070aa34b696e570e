"""One error shape for the whole API:

{"status": 400, "code": "invalid", "detail": "…", "errors": {"field": ["…"]}}
"""

import copy

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.relations import RelatedField
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.links import NOT_FOUND

MESSAGES = {
    400: "提交的数据有误。",
    401: "未登录或令牌无效。",
    403: "没有权限执行此操作。",
    404: "未找到。",
    405: "不支持该请求方法。",
    409: "与现有数据冲突。",
}


def _messages(errors) -> list[str]:
    """A model's own link check says "党组织 instance with id 87 is not a valid choice.": say
    which kind of record without the database id (the field is named by the error's key)."""
    out = []
    for error in errors:
        params = error.params if isinstance(error.params, dict) else {}
        if error.code == "invalid" and {"model", "pk", "field"} <= params.keys():
            out.append(f"所选{params['model']}不在可选范围内。")
        else:
            out.extend(error.messages)
    return out


def _django_validation_to_drf(
    exc: DjangoValidationError, context=None
) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        detail = {
            ("non_field_errors" if k == "__all__" else k): _messages(v)
            for k, v in exc.error_dict.items()
        }
        for name, messages in detail.items():
            if messages == [NOT_FOUND]:
                detail[name] = [_unknown_message(context, name) or NOT_FOUND]
    else:
        detail = {"non_field_errors": _messages(exc.error_list)}
    return exceptions.ValidationError(detail)


def _unknown_message(context, name: str) -> str | None:
    """A link a service refused (``core.links``: out of reach) answers with the very words the
    request's serializer field gives for a code that does not exist (no oracle)."""
    view, request = (context or {}).get("view"), (context or {}).get("request")
    value = getattr(request, "data", {}).get(name) if hasattr(request, "data") else None
    if view is None or value in (None, "") or not hasattr(view, "get_serializer"):
        return None
    try:
        field = view.get_serializer().fields.get(name)
    except Exception:  # the view cannot build its serializer here: keep the plain words
        return None
    if not isinstance(field, RelatedField) or getattr(field, "queryset", None) is None:
        return None
    probe = copy.copy(field)
    probe.__dict__.pop("get_queryset", None)  # the deferred link choices (core.api.serializers)
    probe.queryset = field.queryset.none()
    try:
        probe.to_internal_value(value)
    except exceptions.ValidationError as error:
        return str(error.detail[0])
    except Exception:
        return None
    return None


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = _django_validation_to_drf(exc, context)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, ProtectedError):
        return Response(
            {
                "status": 409,
                "code": "protected",
                "detail": "该记录仍被其他数据引用，不能删除。",
                "errors": {},
            },
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body = {"status": response.status_code, "code": "error", "detail": "", "errors": {}}
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body["code"] = "invalid"
        body["detail"] = MESSAGES[400]
        if isinstance(data, dict):
            body["errors"] = data
        else:
            body["errors"] = {"non_field_errors": data}
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body["code"] = codes if isinstance(codes, str) else "error"
        detail = data.get("detail") if isinstance(data, dict) else data
        body["detail"] = str(detail) if detail else MESSAGES.get(response.status_code, "")
    response.data = body
    return response
