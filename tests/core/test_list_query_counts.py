"""No N+1 anywhere: every admin changelist and every API list, walked generically over the
demo data as the street administrator, costs the same number of queries for 3 rows as for 30
(issue 14). The per-app tests pin exact numbers; these catch a list nobody pinned."""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

pytestmark = [
    pytest.mark.django_db,
    # Every list is ordered: OFFSET pages over an unordered queryset repeat or skip rows.
    pytest.mark.filterwarnings("error::django.core.paginator.UnorderedObjectListWarning"),
]
SMALL, LARGE = 3, 30


@pytest.fixture
def demo():
    from core.demo import seed_all

    seed_all(io.StringIO())
    return get_user_model().objects.get(username="street")


def changelist_rows(response) -> int:
    return len(response.context["cl"].result_list)


def test_every_admin_changelist_is_flat(demo, admin_client_for):
    client = admin_client_for(demo)
    compared, uneven = [], []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        try:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        except NoReverseMatch:
            continue
        if client.get(url).status_code != 200:  # not the street role's, or a custom page
            continue
        counts, rows = [], []
        try:
            for per_page in (SMALL, LARGE):
                model_admin.list_per_page = per_page
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url)
                assert response.status_code == 200, url
                counts.append(len(queries))
                rows.append(changelist_rows(response))
        finally:
            # Drop the instance attribute: a leftover would shadow the class attribute that
            # other tests set on the admin class.
            del model_admin.list_per_page
        if rows[0] == SMALL and rows[1] > SMALL:  # enough demo rows to tell the two apart
            compared.append(meta.label)
            if counts[0] != counts[1]:
                uneven.append((meta.label, rows, counts))
    assert not uneven, uneven
    # The walk means something only if the demo data fills most changelists past 3 rows.
    assert len(compared) >= 30, compared


def api_list_urls() -> list[str]:
    from django.urls import get_resolver

    urls = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern).replace("^", "").replace("$", "")
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
                continue
            actions = getattr(pattern.callback, "actions", None) or {}
            if actions.get("get") == "list" and "<" not in route and "(?P" not in route:
                urls.append("/" + route.replace("^", "").replace("$", ""))

    walk(get_resolver().url_patterns)
    return sorted({u for u in urls if u.startswith("/api/v1/")})


def test_every_api_list_is_flat(demo, api):
    User = get_user_model()
    compared, uneven = [], []
    urls = api_list_urls()
    assert len(urls) >= 50, urls
    for url in urls:
        counts, rows = [], []
        for size in (SMALL, LARGE):
            # A fresh user per request, as in production (no cached scope or permissions).
            client = api(User.objects.get(pk=demo.pk))
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, {"page_size": size})
            if response.status_code != 200:
                break
            body = response.json()
            if not isinstance(body, dict) or "results" not in body:
                break
            counts.append(len(queries))
            rows.append(len(body["results"]))
        if len(rows) == 2 and rows[0] == SMALL and rows[1] > SMALL:
            compared.append(url)
            if counts[0] != counts[1]:
                uneven.append((url, rows, counts))
    assert not uneven, uneven
    assert len(compared) >= 30, compared
