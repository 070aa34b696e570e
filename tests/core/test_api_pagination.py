"""API pagination (core.api.pagination): pages by number for existing clients, bad page
numbers are clear 404s, the count is exact up to the limit and estimated above it on
PostgreSQL (``?count=exact`` for the real figure), and "next" never depends on the estimate."""

from __future__ import annotations

import pytest
from django.db import connection

from core.api.pagination import StandardPagination
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def branches(tree):
    parent = tree["community_a"]
    for i in range(7):
        OrganizationFactory(code=f"{parent.code}-P{i:02d}", kind="compound_branch", parent=parent)
    return parent


def test_pages_by_number_with_next_and_previous(api, users, branches):
    client = api(users["cadre_a"])
    first = client.get("/api/v1/organizations/", {"page_size": 3}).json()
    assert first["count_exact"] is True
    total = first["count"]
    assert total >= 8
    assert first["previous"] is None and "page=2" in first["next"]
    seen = [row["code"] for row in first["results"]]
    page = 2
    while True:
        body = client.get("/api/v1/organizations/", {"page_size": 3, "page": page}).json()
        seen += [row["code"] for row in body["results"]]
        if body["next"] is None:
            break
        page += 1
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize("page", ["999", "0", "-1", "abc", "1.5", "9" * 40])
def test_bad_page_numbers_are_404_not_500(api, users, branches, page):
    response = api(users["cadre_a"]).get("/api/v1/organizations/", {"page": page})
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_last_page_by_name(api, users, branches):
    body = api(users["cadre_a"]).get("/api/v1/organizations/", {"page_size": 3, "page": "last"})
    assert body.status_code == 200 and body.json()["next"] is None


def test_above_the_limit_the_count_is_an_estimate_unless_asked(api, users, branches, monkeypatch):
    monkeypatch.setattr(StandardPagination, "exact_count_limit", 3)
    client = api(users["cadre_a"])
    exact = client.get("/api/v1/organizations/", {"page_size": 2, "count": "exact"}).json()
    assert exact["count_exact"] is True and exact["count"] >= 8
    body = client.get("/api/v1/organizations/", {"page_size": 2}).json()
    if connection.vendor == "postgresql":
        assert body["count_exact"] is False
        assert body["count"] >= 4  # never below what the bounded count already saw
    else:  # no planner estimate on SQLite: the exact count
        assert body["count_exact"] is True and body["count"] == exact["count"]
    # Walking the pages still reaches every row, whatever the count says.
    codes, page = [], 1
    while True:
        part = client.get("/api/v1/organizations/", {"page_size": 2, "page": page}).json()
        codes += [row["code"] for row in part["results"]]
        if part["next"] is None:
            break
        page += 1
    assert len(codes) == len(set(codes)) == exact["count"]
    beyond = client.get("/api/v1/organizations/", {"page_size": 2, "page": page + 1})
    assert beyond.status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner estimate: PostgreSQL")
def test_planner_estimate_is_a_number(users, branches):
    from core.api.pagination import planner_estimate
    from organizations.models import Organization

    assert planner_estimate(Organization.objects.visible_to(users["cadre_a"])) >= 1
