"""The API's AutoSchema: component names, and the error answers every operation can give.

Every error the API returns has one shape (``core.api.exceptions``):
``{"status", "code", "detail", "errors"}``. ``ProjectAutoSchema.get_operation`` documents, in
this one place and for every operation, the error statuses that operation can really answer
with that shape — views declare only their successful answers (and answers peculiar to them,
such as 429 on the token endpoint):

- 400 where the request carries input (a body or query parameters): validation, parse errors;
  and on DELETE: a deletion the business rules refuse (an organisation with children);
- 401 and 403 where the view requires a signed-in user: no or an expired token, no permission;
- 404 where the path names a record (unknown or out of scope, the same answer) or the list is
  paginated (a page that is not a positive number or lies past the end);
- 405 where the path names a record: a code that spells a collection route (``export``,
  ``import``) reaches that route, which has other methods;
- 409 on DELETE: a record still referenced by others (``ProtectedError``).

Examples: a generated code never names a record, so the central records' codes from the demo
data (``EXAMPLE_CODES``) are given as examples where a request names one — the path of their
own detail routes and every link field to them. Docs readers see a real-looking code; test
generators (schemathesis) reach the records instead of 404/400 only.
"""

from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_view_model
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.relations import ManyRelatedField, RelatedField


class ErrorResponseSerializer(serializers.Serializer):
    """The API's error shape (``core.api.exceptions.exception_handler``)."""

    status = serializers.IntegerField(help_text="HTTP 状态码")
    code = serializers.CharField(help_text="错误类别：invalid、not_found、permission_denied……")
    detail = serializers.CharField(allow_blank=True, help_text="给人看的说明")
    errors = serializers.DictField(
        help_text="字段 → 错误信息列表（校验错误时；嵌套字段时为嵌套对象），其他错误时为空对象"
    )


ERROR_DESCRIPTIONS = {
    "400": "提交的数据或查询参数有误（errors 按字段列出），或业务规则不允许此操作",
    "401": "未登录，或令牌无效、已过期",
    "403": "没有权限执行此操作",
    "404": "记录不存在或不在您的管辖范围内；或页码无效",
    "405": "该地址不支持此请求方法",
    "409": "记录仍被其他数据引用，不能删除",
}


# Model label → a code of the demo data (``seed_demo``), in 园林社区 where it has a place.
EXAMPLE_CODES = {
    "organizations.Organization": "TD-ZQ-YL",
    "organizations.Member": "DY-YL-0101",
    "covenants.PartnerUnit": "TD-ZQ-U01",
    "grids.Grid": "G-YL-P1-01",
}


def app_of_module(module: str) -> str | None:
    """The project app a module belongs to (the longest match: ``governance.assessment``)."""
    best = None
    for app in settings.PROJECT_APPS:
        if (module == app or module.startswith(f"{app}.")) and len(app) > len(best or ""):
            best = app
    return best


def app_tag(app: str) -> str:
    return app.split(".")[-1]


class ProjectAutoSchema(AutoSchema):
    """Action-input serializers (plain ``Serializer``s such as ``ReasonSerializer``) get their app
    as a prefix in the component name, so two apps' "Reason" requests never collide; every
    operation documents the error answers it can give (see the module's docstring)."""

    def get_tags(self) -> list[str]:
        """One tag per app (from the view's module), described in Chinese by
        ``SPECTACULAR_SETTINGS["TAGS"]``: Swagger and Redoc group operations by app."""
        view = getattr(self.view, "cls", None) or type(self.view)
        app = app_of_module(view.__module__)
        return [app_tag(app)] if app else super().get_tags()

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = type(serializer)
        if cls is ErrorResponseSerializer:
            return name
        module = cls.__module__
        if isinstance(serializer, serializers.ListSerializer) or isinstance(
            serializer, serializers.ModelSerializer
        ):
            return name
        for app in settings.PROJECT_APPS:
            if (
                module.startswith(f"{app}.")
                and getattr(cls, "_spectacular_annotation", None) is None
            ):
                prefix = app.split(".")[-1].capitalize()
                return name if name.startswith(prefix) else f"{prefix}{name}"
        return name

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        model = get_view_model(self.view, emit_warnings=False)
        example = EXAMPLE_CODES.get(model._meta.label) if model is not None else None
        lookup = getattr(self.view, "lookup_url_kwarg", None) or getattr(
            self.view, "lookup_field", None
        )
        for parameter in operation.get("parameters", []):
            if example and parameter.get("in") == "path" and parameter.get("name") == lookup:
                parameter.setdefault("example", example)
        reference = self.resolve_serializer(ErrorResponseSerializer, "response").ref
        for status in self._error_statuses(operation):
            _add_error(responses, status, reference, ERROR_DESCRIPTIONS[status])
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        relation = field.child_relation if isinstance(field, ManyRelatedField) else field
        queryset = getattr(relation, "queryset", None)
        if isinstance(relation, RelatedField) and queryset is not None and "example" not in schema:
            code = EXAMPLE_CODES.get(queryset.model._meta.label)
            if code is not None:
                schema["example"] = [code] if relation is not field else code
        return schema

    def _error_statuses(self, operation) -> list[str]:
        parameters = operation.get("parameters", [])
        in_path = any(p.get("in") == "path" for p in parameters)
        in_query = [p.get("name") for p in parameters if p.get("in") == "query"]
        statuses = []
        if "requestBody" in operation or in_query or self.method == "DELETE":
            statuses.append("400")
        permissions = getattr(self.view, "permission_classes", None) or []
        if not all(isinstance(p, type) and issubclass(p, AllowAny) for p in permissions):
            statuses += ["401", "403"]
        if in_path or "page" in in_query or RECORD_QUERY_PARAMETERS.intersection(in_query):
            statuses.append("404")
        if in_path:
            statuses.append("405")
        if self.method == "DELETE":
            statuses.append("409")
        return statuses


# Query parameters that name a record by its code: a report for an unknown (or out-of-scope)
# organisation answers 404, as a path code does.
RECORD_QUERY_PARAMETERS = {"organization", "root"}


def _add_error(responses: dict, status: str, reference: dict, description: str) -> None:
    """Document ``status`` with the error shape; where the view already declared another body
    for it (an import's 400 carries the row report), either body is valid."""
    response = responses.get(status)
    if response is None:
        responses[status] = {
            "content": {"application/json": {"schema": reference}},
            "description": description,
        }
        return
    for media in response.get("content", {}).values():
        schema = media.get("schema")
        if schema is None or schema == reference:
            continue
        options = schema["anyOf"] if list(schema) == ["anyOf"] else [schema]
        if reference not in options:
            media["schema"] = {"anyOf": [*options, reference]}
