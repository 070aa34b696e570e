"""GeoReport v2 output: JSON (UTF-8, not ASCII-escaped) or XML (built with ElementTree, so
every value is escaped; UTF-8 declared), times ISO 8601 with the +08:00 offset, and the spec's
error list ``[{"code": 404, "description": "…"}]`` / ``<errors><error>…``."""

from __future__ import annotations

import json
from datetime import datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from django.http import HttpResponse

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A list under this key holds items named so in XML.
XML_ITEMS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _plain(value):
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, data: dict) -> None:
    for key, value in data.items():
        child = ET.SubElement(element, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, list | tuple):
            item_name = XML_ITEMS.get(key, "item")
            for item in value:
                node = ET.SubElement(child, item_name)
                if isinstance(item, dict):
                    _fill(node, item)
                else:
                    node.text = _text(item)
        else:
            child.text = _text(value)


def to_xml(root: str, item: str | None, data) -> bytes:
    """``data`` a list (each dict under ``<item>``) or a dict (the root's children)."""
    element = ET.Element(root)
    if isinstance(data, dict):
        _fill(element, _plain(data))
    else:
        for row in data:
            _fill(ET.SubElement(element, item), _plain(row))
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, data, *, root: str, item: str | None = None, status: int = 200):
    if fmt == "xml":
        return HttpResponse(
            to_xml(root, item, data), content_type="text/xml; charset=utf-8", status=status
        )
    body = json.dumps(_plain(data), ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, content_type="application/json; charset=utf-8", status=status)


def error(fmt: str, status: int, *descriptions: str):
    rows = [{"code": status, "description": d} for d in descriptions or ("",)]
    return respond(fmt, rows, root="errors", item="error", status=status)
