"""Page-number pagination that stays cheap on large scoped tables.

``COUNT(*)`` over a street's 38,000 residents (joined up to the organisation tree for the scope)
costs more than the page itself. The count is therefore exact only up to
``exact_count_limit`` rows (counted with a ``LIMIT``, so it stops early); above that,
PostgreSQL's planner estimate is returned with ``"count_exact": false``. ``?count=exact``
asks for the exact figure. Pages are taken with OFFSET/LIMIT and one row more than asked, so
"is there a next page" never depends on the estimate; a page past the end is a 404, a page
that is not a positive number a 404 as well (DRF's behaviour), never a 500.
"""

from __future__ import annotations

import json

from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


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


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    exact_count_limit = 1000
    count_query_param = "count"

    def django_paginator_class(self, queryset, page_size):
        exact = self.request.query_params.get(self.count_query_param) == "exact"
        return EstimatedCountPaginator(
            queryset, page_size, exact_count_limit=self.exact_count_limit, exact=exact
        )

    def get_paginated_response(self, data):
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
