"""Page-number pagination that stays cheap on large scoped tables.

``COUNT(*)`` over a street's 38,000 residents (joined up to the organisation tree for the scope)
costs more than the page itself. The count is therefore exact only up to
``exact_count_limit`` rows (counted with a ``LIMIT``, so it stops early); above that,
PostgreSQL's planner estimate is returned with ``"count_exact": false``. ``?count=exact``
asks for the exact figure. Pages are taken with OFFSET/LIMIT and one row more than asked, so
"is there a next page" never depends on the estimate; a page past the end is a 404, a page
that is not a positive number a 404 as well (DRF's behaviour), never a 500.

**Cursor pagination** (opt-in, ``?cursor=``) on the lists whose view uses
``LargeTablePagination`` and names a ``cursor_ordering`` (the large tables: households, residents, members, cases, notifications):
keyset pages in that fixed order, whose last column is unique, so every row is returned exactly
once however deep the walk goes and whatever is inserted or deleted meanwhile; no count, no
OFFSET. ``?cursor=`` (empty) is the first page, ``next`` carries the cursor of the next one.
A cursor is signed (``django.core.signing``): one that was changed, or comes from another
list or order, is a 400 with the reason in Chinese. Without ``cursor`` nothing changes.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from uuid import UUID

from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections
from django.db.models import Q
from django.utils.functional import cached_property
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

CURSOR_SALT = "core.api.pagination.cursor"
CURSOR_INVALID = "游标无效：它被改动过或已损坏。请去掉 cursor 的值（cursor=）从第一页重新开始。"
CURSOR_FOREIGN = "该游标属于另一个列表或另一种排序，不能用于此列表。请用本列表返回的 next 链接。"
CURSOR_WITH_ORDERING = "游标分页按固定顺序返回，不能同时指定 ordering。"


def planner_estimate(queryset) -> int | None:
    """The number of rows PostgreSQL's planner expects ``queryset`` to return, or None."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.get_compiler(queryset.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(DjangoPaginator):
    def __init__(self, object_list, per_page, *, exact_count_limit: int, exact: bool = False):
        super().__init__(object_list, per_page)
        self.exact_count_limit = exact_count_limit
        self.count_exact = True
        self._want_exact = exact

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if self._want_exact or not hasattr(queryset, "query") or queryset.query.combinator:
            return super().count
        if connections[queryset.db].vendor != "postgresql":
            return super().count
        limit = self.exact_count_limit
        bounded = queryset.order_by().values("pk")[: limit + 1].count()
        if bounded <= limit:
            return bounded
        self.count_exact = False
        # The planner can guess low; never report fewer rows than we already know exist.
        return max(limit + 1, planner_estimate(queryset) or 0)

    def validate_number(self, number):
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("页码必须是整数。") from None
        if number < 1:
            raise EmptyPage("页码不能小于 1。")
        return number

    def page(self, number):
        number = self.validate_number(number)
        count = self.count
        bottom = (number - 1) * self.per_page
        if self.count_exact and bottom >= count and number > 1:
            raise EmptyPage("该页没有数据。")
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("该页没有数据。")
        return FetchedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)


class FetchedPage(Page):
    """A page whose "next" comes from the extra row fetched, not from the (estimated) count."""

    def __init__(self, object_list, number, paginator, *, has_more: bool):
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more


class KeysetCursor:
    """Keyset pages over ``ordering`` (model field paths, "-" for descending, the last one
    unique and none nullable) of one list (``list_key``)."""

    def __init__(self, model, ordering, list_key: str):
        self.list_key = list_key
        self.columns = []  # (path, descending, model field)
        for item in ordering:
            descending = item.startswith("-")
            path = item.lstrip("-")
            self.columns.append((path, descending, _resolve(model, path)))

    # A row's position: the values of the ordering columns, as JSON-safe values.
    def position(self, obj) -> list:
        values = []
        for path, _, _ in self.columns:
            value = obj
            for part in path.split("__"):
                value = getattr(value, "pk" if part == "pk" else part)
            values.append(_to_json(value))
        return values

    def encode(self, obj) -> str:
        return signing.dumps({"l": self.list_key, "v": self.position(obj)}, salt=CURSOR_SALT)

    def decode(self, cursor: str) -> list:
        try:
            payload = signing.loads(cursor, salt=CURSOR_SALT)
        except (signing.BadSignature, ValueError, TypeError):
            raise _cursor_error(CURSOR_INVALID) from None
        if not isinstance(payload, dict) or payload.get("l") != self.list_key:
            raise _cursor_error(CURSOR_FOREIGN)
        values = payload.get("v")
        if not isinstance(values, list) or len(values) != len(self.columns):
            raise _cursor_error(CURSOR_INVALID)
        try:
            return [
                field.to_python(v) for v, (_, _, field) in zip(values, self.columns, strict=True)
            ]
        except (ValidationError, ValueError, TypeError):
            raise _cursor_error(CURSOR_INVALID) from None

    def after(self, values) -> Q:
        """Rows strictly after ``values`` in the ordering: (a > x) or (a = x and b > y) …, with
        the redundant a >= x in front so an index on the leading column is range-scanned."""
        q = Q()
        equal = Q()
        for (path, descending, _), value in zip(self.columns, values, strict=True):
            q |= equal & Q(**{f"{path}__{'lt' if descending else 'gt'}": value})
            equal &= Q(**{path: value})
        path, descending, _ = self.columns[0]
        return Q(**{f"{path}__{'lte' if descending else 'gte'}": values[0]}) & q

    def order_by(self) -> list[str]:
        return [f"-{p}" if d else p for p, d, _ in self.columns]


def _resolve(model, path: str):
    field = None
    for part in path.split("__"):
        if field is not None:
            model = field.related_model
        field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        if field.is_relation and field.many_to_many:
            raise FieldDoesNotExist(f"{path}: a cursor cannot order by a many-to-many field")
    if field.is_relation:
        field = field.target_field
    if field.null:
        raise FieldDoesNotExist(f"{path}: a cursor cannot order by a nullable field")
    return field


def _to_json(value):
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value


def _cursor_error(message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({"cursor": [message]})


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    exact_count_limit = 1000
    count_query_param = "count"

    def get_paginated_response(self, data):
        return self.get_page_response(data)

    def django_paginator_class(self, queryset, page_size):
        exact = self.request.query_params.get(self.count_query_param) == "exact"
        return EstimatedCountPaginator(
            queryset, page_size, exact_count_limit=self.exact_count_limit, exact=exact
        )

    def get_page_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_exact": paginator.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            f"总数。超过 {self.exact_count_limit} 条时为数据库估算值（count_exact 为 false），"
            "加 ?count=exact 取精确值。"
        )
        response["properties"] = {
            "count": response["properties"]["count"],
            "count_exact": {"type": "boolean", "description": "count 是否为精确值"},
            **{k: v for k, v in response["properties"].items() if k != "count"},
        }
        return response

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.count_query_param,
                "required": False,
                "in": "query",
                "description": "exact：返回精确总数（大数据量时较慢）",
                "schema": {"type": "string", "enum": ["exact"]},
            },
        ]


class LargeTablePagination(StandardPagination):
    """``StandardPagination`` plus the opt-in ``?cursor=`` keyset pages (module docstring);
    the view names its ``cursor_ordering``."""

    cursor_query_param = "cursor"
    cursor_mode = False

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor_mode = False
        ordering = view.cursor_ordering
        if self.cursor_query_param in request.query_params:
            return self.paginate_by_cursor(queryset, request, view, ordering)
        return super().paginate_queryset(queryset, request, view)

    def paginate_by_cursor(self, queryset, request, view, ordering):
        if request.query_params.get(api_settings.ORDERING_PARAM):
            raise _cursor_error(CURSOR_WITH_ORDERING)
        model = queryset.model
        view_name = getattr(view, "basename", None) or type(view).__name__
        keyset = KeysetCursor(
            model, ordering, f"{view_name}:{model._meta.label_lower}:{','.join(ordering)}"
        )
        page_size = self.get_page_size(request)
        queryset = queryset.order_by(*keyset.order_by())
        cursor = request.query_params.get(self.cursor_query_param) or ""
        if cursor:
            queryset = queryset.filter(keyset.after(keyset.decode(cursor)))
        rows = list(queryset[: page_size + 1])
        self.cursor_mode = True
        self.request = request
        self.cursor_next = keyset.encode(rows[page_size - 1]) if len(rows) > page_size else None
        return rows[:page_size]

    def get_paginated_response(self, data):
        if self.cursor_mode:
            next_link = None
            if self.cursor_next is not None:
                url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
                next_link = replace_query_param(url, self.cursor_query_param, self.cursor_next)
            return Response({"next": next_link, "previous": None, "results": data})
        return self.get_page_response(data)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["results"]
        response["properties"]["count"]["description"] += "使用 cursor 分页时不返回。"
        response["properties"]["count_exact"]["description"] += "（使用 cursor 分页时不返回）"
        response["properties"]["next"]["description"] = (
            "下一页的链接；使用 cursor 分页时带下一页的游标"
        )
        response["properties"]["previous"]["description"] = (
            "上一页的链接；使用 cursor 分页时总为 null"
        )
        return response

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "游标分页（适合逐页读取全部数据）：第一页传空值 cursor=，之后沿用响应中的 next"
                    "链接。按固定顺序返回，每条记录恰好一次，不返回 count；忽略 page，不能与 "
                    "ordering 同用。被改动或来自其他列表的游标返回 400。"
                ),
                "schema": {"type": "string"},
            },
        ]
