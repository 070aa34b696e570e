"""``/api/schema/`` served from a cache built once per code version.

Kept apart from ``core.api.schema`` (the AutoSchema class that DRF's settings import), since
drf-spectacular's views import that class while they load."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView


def _pattern_lines(patterns, prefix: str = "") -> list[str]:
    from django.urls import URLResolver

    lines: list[str] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            lines += _pattern_lines(pattern.url_patterns, route)
        else:
            callback = pattern.callback
            view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
            target = view or callback
            actions = sorted(getattr(callback, "actions", {}) or {})
            lines.append(f"{route} {target.__module__}.{target.__qualname__} {actions}")
    return lines


@lru_cache(maxsize=8)
def _urls_digest(resolver) -> str:
    # One walk per URL resolver: Django builds a new resolver when the URLconf changes
    # (override_settings(ROOT_URLCONF=…), clear_url_caches()), which gives a new digest.
    return hashlib.sha256("\n".join(_pattern_lines(resolver.url_patterns)).encode()).hexdigest()


def schema_version_key(request=None) -> str:
    """What the generated schema depends on: the code's routes and the API settings.

    Cheap enough for every request; any change (a new route, a different setting) gives a new
    key and therefore a fresh build."""
    from django.urls import get_resolver

    parts = {
        "urls": _urls_digest(get_resolver()),
        "spectacular": settings.SPECTACULAR_SETTINGS,
        "rest_framework": settings.REST_FRAMEWORK,
        "apps": settings.INSTALLED_APPS,
        "revision": os.environ.get("APP_REVISION", ""),
        "language": translation.get_language(),
        "version": getattr(request, "version", None) if request is not None else None,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


# (key, renderer format, media type) → rendered bytes. In-process: every worker builds once.
_SCHEMA_CACHE: dict[tuple[str, str, str], bytes] = {}
_SCHEMA_LOCK = threading.Lock()


class CachedSpectacularAPIView(SpectacularAPIView):
    """``/api/schema/``: built and rendered once per code version (see ``schema_version_key``)
    instead of on every request (3–7 s at the size of this API)."""

    def _get_schema_response(self, request):
        renderer = request.accepted_renderer
        key = (schema_version_key(request), renderer.format, request.accepted_media_type)
        content = _SCHEMA_CACHE.get(key)
        if content is None:
            with _SCHEMA_LOCK:
                content = _SCHEMA_CACHE.get(key)
                if content is None:
                    response = super()._get_schema_response(request)
                    content = renderer.render(
                        response.data,
                        request.accepted_media_type,
                        {"request": request, "view": self, "response": response},
                    )
                    if len(_SCHEMA_CACHE) > 32:  # old versions of a long-lived process
                        _SCHEMA_CACHE.clear()
                    _SCHEMA_CACHE[key] = content
        version = self.api_version or request.version or self._get_version_parameter(request)
        response = HttpResponse(content, content_type=_content_type(renderer, request))
        response["Content-Disposition"] = (
            f'inline; filename="{self._get_filename(request, version)}"'
        )
        response["X-Schema-Version"] = key[0][:16]
        return response


def _content_type(renderer, request) -> str:
    media_type = request.accepted_media_type or renderer.media_type
    charset = getattr(renderer, "charset", None)
    return f"{media_type}; charset={charset}" if charset else media_type
