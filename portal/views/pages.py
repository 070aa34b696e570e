"""Home, large-text switch, find my community, service handbook, friendly error pages."""

from __future__ import annotations

import os

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from portal import selectors
from portal.accounts import home_code
from portal.caching import public_page

TEXT_COOKIE = "portal_text"
TEXT_COOKIE_AGE = 365 * 24 * 3600


@require_GET
@public_page
def home(request):
    return render(request, "portal/home.html", {"communities": selectors.community_list()})


def _safe_next(request, fallback: str = "/") -> str:
    target = request.GET.get("next") or request.POST.get("next") or fallback
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def text_size(request):
    """Large-text mode as a plain link (works without JavaScript); remembered for a year."""
    size = request.GET.get("size") or request.POST.get("size")
    response = HttpResponseRedirect(_safe_next(request))
    if size == "large":
        response.set_cookie(
            TEXT_COOKIE, "large", max_age=TEXT_COOKIE_AGE, samesite="Lax", httponly=True
        )
    else:
        response.delete_cookie(TEXT_COOKIE, samesite="Lax")
    return response


@require_GET
@public_page
def community_search(request):
    query = request.GET.get("q", "").strip()[:60]
    matches = selectors.search_places(query) if query else []
    return render(
        request,
        "portal/community_search.html",
        {"query": query, "matches": matches, "communities": selectors.community_list()},
    )


@require_GET
@public_page
def community_detail(request, code: str):
    context = selectors.community_info(code)
    if context is None:
        raise Http404("没有这个社区")
    return render(request, "portal/community_detail.html", context)


@require_GET
@public_page
def handbook(request):
    code = request.GET.get("community", "") if "community" in request.GET else home_code(request)
    community = selectors.community_by_code(code) if code else None
    items = selectors.handbook_items(community)
    if request.GET.get("one_visit") == "1":
        items = items.filter(one_visit=True)
    query = request.GET.get("q", "").strip()[:40]
    if query:
        items = items.filter(title__icontains=query) | items.filter(category__icontains=query)
    return render(
        request,
        "portal/handbook.html",
        {
            "items": items,
            "community": community,
            "communities": selectors.community_list(),
            "query": query,
            "one_visit": request.GET.get("one_visit") == "1",
        },
    )


@require_GET
@public_page
def handbook_item(request, pk: int):
    item = selectors.handbook_items().filter(pk=pk).first()
    if item is None:
        raise Http404("没有这个事项")
    return render(request, "portal/handbook_item.html", {"item": item})


def csrf_failure(request, reason: str = ""):
    """Settings' CSRF_FAILURE_VIEW: a friendly page that keeps what the resident typed and lets
    them send it again with a fresh token (files must be chosen again)."""
    kept = []
    skip = {"csrfmiddlewaretoken", "password", "password1", "password2", "challenge_token"}
    skip.add("challenge_answer")
    for name, values in request.POST.lists():
        if name in skip:
            continue
        for value in values:
            kept.append((name, value[:5000]))
    return render(
        request,
        "portal/csrf_failure.html",
        {"kept": kept, "action": request.path, "has_files": bool(request.FILES)},
        status=403,
    )


def bench_ceiling(request):
    """A bare view for the load benchmark's ceiling figure (mounted only when asked)."""
    if os.environ.get("PORTAL_BENCH_CEILING") != "1":
        raise Http404
    return HttpResponse("ok", content_type="text/plain")
