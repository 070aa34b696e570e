"""``/api/schema/`` served from a cache built once per code version.

The code version (``schema_version_key``) is a hash of what the generated schema depends on:
the project's source (every ``.py`` under the project apps and ``config/``, hashed once per
process: ``code_digest``), the versions of Django, DRF and drf-spectacular, the URL routes,
the API settings, ``APP_REVISION`` and the language. Two layers, both keyed by it:

1. a process-level memo (a dictionary lookup: what a worker answers after its first build);
2. the Django cache (Redis: ``core.cache`` degrades a Redis error to a miss), so the other
   workers and a restarted process take the rendered schema instead of building it again.

A deploy with changed code, routes or settings gets a new key and builds once; the old entries
expire (``CACHE_SECONDS``).

Kept apart from ``core.api.schema`` (the AutoSchema class that DRF's settings import), since
drf-spectacular's views import that class while they load."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
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


CACHE_SECONDS = 7 * 24 * 3600
CODE_DIRS = ("config",)  # besides settings.PROJECT_APPS


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A hash of the project's Python source and of the schema libraries' versions, once per
    process (about 0.1 s): any edit to a serializer, view or schema hook is a new version."""
    from importlib.metadata import PackageNotFoundError, version
    from pathlib import Path

    base = Path(settings.BASE_DIR)
    roots = sorted({app.split(".")[0] for app in settings.PROJECT_APPS} | set(CODE_DIRS))
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted((base / root).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    for package in ("django", "djangorestframework", "drf-spectacular"):
        try:
            digest.update(f"{package}={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(package.encode())
    return digest.hexdigest()


def schema_version_key(request=None) -> str:
    """What the generated schema depends on: the code's routes and the API settings.

    Cheap enough for every request; any change (a new route, a different setting) gives a new
    key and therefore a fresh build."""
    from django.urls import get_resolver

    parts = {
        "code": code_digest(),
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
                    shared_key = "api-schema:" + hashlib.sha256(repr(key).encode()).hexdigest()
                    content = cache.get(shared_key)
                    if content is None:
                        response = super()._get_schema_response(request)
                        content = renderer.render(
                            response.data,
                            request.accepted_media_type,
                            {"request": request, "view": self, "response": response},
                        )
                        cache.set(shared_key, content, CACHE_SECONDS)
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
