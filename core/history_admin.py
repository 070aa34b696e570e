"""Change-history pages (django-simple-history) that people can read: Chinese column headers,
display values (a choice's label, 是/否, 无 for empty, a linked record's name, never its id)
and times in the site's zone (Asia/Shanghai). One mechanism for every history admin:
``ScopedAdminMixin`` inherits ``HistoryDisplayMixin``, so each ``SimpleHistoryAdmin`` that
uses it gets the same list template and value formatting."""

from __future__ import annotations

import datetime

from django.contrib.admin.utils import label_for_field
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

EMPTY = "无"


def display_value(field, value) -> str:
    """How a stored value reads on a history page."""
    if isinstance(value, DeletedObject):
        return f"（已删除的{value.model._meta.verbose_name}）"
    if isinstance(value, list | tuple):
        if not value:
            return EMPTY
        base = getattr(field, "base_field", field)
        return "、".join(display_value(base, item) for item in value)
    if value is None or value == "":
        return EMPTY
    choices = dict(getattr(field, "flatchoices", None) or ())
    if choices and not isinstance(value, models.Model):
        return str(choices.get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return date_format(value, "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if field is not None and field.is_relation and not isinstance(value, models.Model):
        found = field.related_model._base_manager.filter(pk=value).first()
        return (
            str(found)
            if found is not None
            else f"（已删除的{field.related_model._meta.verbose_name}）"
        )
    return str(value)


class DisplayContextHelper(HistoricalRecordContextHelper):
    """Each change as 字段中文名: 旧值 → 新值, with display values."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        try:
            field = self.model._meta.get_field(change.field)
        except FieldDoesNotExist:
            return "" if value is None else value
        if isinstance(field, models.ManyToManyField):
            return "、".join(str(v) for v in value) if value else EMPTY
        return display_value(field, value)


class HistoryDisplayMixin:
    object_history_list_template = "admin/core/history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return DisplayContextHelper(self.model, historical_record)

    def _history_columns(self, request) -> list[tuple[str, str]]:
        columns = []
        for name in self.get_history_list_display(request):
            try:
                label = label_for_field(name, self.model, model_admin=self)
            except AttributeError:
                label = name
            columns.append((name, str(label)))
        return columns

    def history_view(self, request, object_id, extra_context=None):
        if not hasattr(self, "get_history_list_display"):  # Django's own history page
            return super().history_view(request, object_id, extra_context)
        extra_context = {
            **(extra_context or {}),
            "history_columns": [label for _, label in self._history_columns(request)],
        }
        return super().history_view(request, object_id, extra_context)

    def set_history_delta_changes(self, request, historical_records, *args, **kwargs):
        super().set_history_delta_changes(request, historical_records, *args, **kwargs)
        columns = self._history_columns(request)
        for record in historical_records:
            record.history_cells = [self._history_cell(record, name) for name, _ in columns]
            record.history_when = display_value(None, record.history_date)

    def _history_cell(self, record, name: str) -> str:
        from core.sensitive import mask, sensitive_fields

        sensitive = sensitive_fields(self.model)
        if name in sensitive:
            return mask(sensitive[name], getattr(record, name, None))
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            value = getattr(record, name, None)  # set by history_view from an admin method
            return display_value(None, value() if callable(value) else value)
        if field.is_relation and not field.many_to_many:
            return display_value(field, getattr(record, field.attname))
        return display_value(field, getattr(record, field.attname, None))
