"""Request parsers that refuse control characters in text (issue 15): a stored control
character would break every later XLSX export of its list and can hide text in the admin.
Tab, line feed and carriage return stay allowed."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MESSAGE = "提交的文字含有不可见的控制字符，请删除后重新提交。"


def has_control_characters(value: Any) -> bool:
    if isinstance(value, str):
        return CONTROL_CHARACTERS.search(value) is not None
    if isinstance(value, dict):
        return any(has_control_characters(k) or has_control_characters(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_control_characters(v) for v in value)
    return False


def _refuse_control_characters(data):
    values = data.lists() if hasattr(data, "lists") else None
    found = (
        any(has_control_characters(k) or has_control_characters(v) for k, v in values)
        if values is not None
        else has_control_characters(data)
    )
    if found:
        raise ParseError(MESSAGE)
    return data


class TextJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_control_characters(super().parse(stream, media_type, parser_context))


class TextFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_control_characters(super().parse(stream, media_type, parser_context))


class TextMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _refuse_control_characters(result.data)
        return result
