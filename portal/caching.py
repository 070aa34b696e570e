"""Whole-page caching for the public, identical-for-everyone pages (home, community, search,
handbook): an anonymous GET with no session and no pending messages gets the HTML rendered
for the same path, query and text size within the last minute. Anything personal — a logged-in
resident, a form with a CSRF token, a flash message — is never served from or put into it."""

from __future__ import annotations

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

PAGE_TTL = 60


def _cacheable(request) -> bool:
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def public_page(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        size = "L" if request.COOKIES.get("portal_text") == "large" else "N"
        raw = f"{request.get_full_path()}|{size}".encode()
        key = f"portal:page:{hashlib.sha256(raw).hexdigest()[:32]}"
        cached = cache.get(key)
        if cached is not None:
            status, body = cached
            return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        # Only plain pages: no cookies set (e.g. CSRF), no Vary on the session.
        if response.status_code in (200, 404) and not response.cookies:
            cache.set(key, (response.status_code, response.content), PAGE_TTL)
        return response

    return wrapped


CSRF_PLACEHOLDER = "__portal_csrf_token__"


def form_page(view):
    """Like ``public_page`` for a page whose only per-visitor part is the CSRF token: the HTML
    is cached with a placeholder, and each visitor's own token is put in on the way out."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        from django.middleware.csrf import get_token

        size = "L" if request.COOKIES.get("portal_text") == "large" else "N"
        raw = f"form|{request.get_full_path()}|{size}".encode()
        key = f"portal:page:{hashlib.sha256(raw).hexdigest()[:32]}"
        token = get_token(request)  # also makes the middleware set the CSRF cookie
        cached = cache.get(key)
        if cached is None:
            request.portal_csrf_placeholder = True
            response = view(request, *args, **kwargs)
            if response.status_code != 200:
                return response
            cached = response.content.decode()
            cache.set(key, cached, PAGE_TTL)
        return HttpResponse(
            cached.replace(CSRF_PLACEHOLDER, token), content_type="text/html; charset=utf-8"
        )

    return wrapped
