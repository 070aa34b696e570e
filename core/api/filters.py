"""The API's filter backend: django-filter's, without building a FilterSet for nothing.

django-filter builds the FilterSet, its form and every filter's field on each request and
validates the form even when the request carries no filter parameter (≈ 13% of the fixed CPU
of a list request, docs/performance.md). With only pagination, search and ordering parameters
there is nothing to filter — no project filter is required, has a default or filters empty
values — so the queryset is returned as it is; any other parameter goes through django-filter.
"""

from __future__ import annotations

from datetime import UTC

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        not_filters = {
            "page",
            "page_size",
            "count",
            "cursor",
            api_settings.URL_FORMAT_OVERRIDE,
            api_settings.SEARCH_PARAM,
            api_settings.ORDERING_PARAM,
        }
        if all(name in not_filters for name in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 date-time with any offset Python accepts (up to ±23:59), given to the database in
    UTC: PostgreSQL refuses offsets beyond ±15:59 (a 500 otherwise). A moment that leaves the
    calendar once moved to UTC answers 400."""

    def filter(self, qs, value):
        if value is not None and value.utcoffset() is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError as exc:
                raise ValidationError({self.field_name: ["时间超出可表示的范围。"]}) from exc
        return super().filter(qs, value)
