"""Open311 GeoReport v2 constants: formats, limits and the attribute codes of a service
definition (see docs/open311.md for what each maps to)."""

from __future__ import annotations

FORMATS = ("json", "xml")
# GET requests: page size and depth bounds (offset pagination stays cheap).
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_PAGE = 100
# start_date..end_date may not span more than this (the spec's 90 days); the default window.
MAX_SPAN_DAYS = 90

# Key format: "o311_" + 40 url-safe characters; the first 12 characters are kept as the prefix.
KEY_PREFIX = "o311_"
KEY_PREFIX_SHOWN = 12

# Attribute codes of every service definition (order = the spec's "order").
ATTR_COMPOUND = "compound"
ATTR_BUILDING = "building"
ATTR_UNIT = "unit"
ATTR_DOOR = "door"
