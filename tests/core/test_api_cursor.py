"""Opt-in cursor (keyset) pagination on the large lists (core.api.pagination.LargeTablePagination):
every row exactly once across the pages, also with rows inserted and deleted during the walk,
ties broken by the unique last column; tampered and foreign cursors are a 400 in Chinese;
page-number pagination unchanged without ``cursor``."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from core.api.pagination import CURSOR_FOREIGN, CURSOR_INVALID, CURSOR_WITH_ORDERING
from governance.models import Notification
from organizations.models import Member

pytestmark = pytest.mark.django_db

ID_NUMBERS = iter(f"110105199001{n:04d}" for n in range(10, 9999))


def member(branch, name: str) -> Member:
    return Member.objects.create(
        name=name,
        gender="male",
        id_number=f"{next(ID_NUMBERS)}23",
        birth_date=date(1990, 1, 1),
        category="in_service",
        branch=branch,
    )


def walk(client, url: str, *, between=None) -> list[dict]:
    rows, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"next", "previous", "results"}  # no count in cursor mode
        rows += body["results"]
        url = body["next"]
        pages += 1
        if between is not None and url:
            between(pages)
    return rows


@pytest.fixture
def members(tree):
    # Repeated names: the order (name, id) needs its tiebreaker.
    return [member(tree[f"branch_{'ab'[i % 2]}"], f"{'甲乙丙'[i % 3]}同名") for i in range(14)]


def test_every_row_exactly_once_in_the_list_order(users, members, api):
    client = api(users["street"])
    walked = walk(client, "/api/v1/members/?cursor=&page_size=3")
    codes = [row["code"] for row in walked]
    assert len(codes) == len(set(codes)) == len(members)
    paged = client.get("/api/v1/members/", {"page_size": 200}).json()["results"]
    assert codes == [row["code"] for row in paged]  # the same order as page numbers


def test_inserts_and_deletes_during_the_walk(users, tree, members, api):
    client = api(users["street"])
    before = {m.code for m in members}
    added, deleted = [], []

    def between(page):
        # One row before the cursor's position, one after it, and one deleted ahead.
        added.append(member(tree["branch_a"], "甲同名").code)  # ties sort by id: after
        added.append(member(tree["branch_b"], "丁之后").code)
        added.append(member(tree["branch_a"], "一之前").code)  # sorts before every "甲"
        if page == 2:
            victim = Member.objects.filter(name="丙同名").order_by("-id").first()
            deleted.append(victim.code)
            victim.delete()

    codes = [
        row["code"] for row in walk(client, "/api/v1/members/?cursor=&page_size=3", between=between)
    ]
    assert len(codes) == len(set(codes)), "a row came twice"
    assert before - set(deleted) <= set(codes), "a row that was there all along was skipped"
    assert not set(deleted) & set(codes) or deleted[0] in codes[:6]


def test_descending_order_with_equal_timestamps(users, tree, api):
    user = users["cadre_a"]
    for i in range(7):
        Notification.objects.create(
            recipient=user,
            recipient_key=f"user:{user.pk}",
            dedup_key=f"cursor-test-{i}",
            kind=Notification._meta.get_field("kind").choices[0][0],
            organization=tree["community_a"],
            title=f"提醒 {i}",
        )
    same = timezone.now() - timedelta(hours=1)
    Notification.objects.filter(title__in=["提醒 1", "提醒 2", "提醒 3", "提醒 4"]).update(
        created_at=same
    )
    client = api(user)
    ids = [row["id"] for row in walk(client, "/api/v1/notifications/?cursor=&page_size=2")]
    expected = list(
        Notification.objects.filter(recipient=user)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
    )
    assert ids == expected


def error(response) -> list[str]:
    assert response.status_code == 400, response.content
    return response.json()["errors"]["cursor"]


def test_tampered_foreign_and_garbage_cursors_are_400(users, members, api):
    client = api(users["street"])
    first = client.get("/api/v1/members/?cursor=&page_size=3").json()
    raw = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    assert client.get("/api/v1/members/", {"cursor": raw, "page_size": 3}).status_code == 200
    value, _, signature = raw.partition(":")
    tampered = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1] + ":" + signature
    assert error(client.get("/api/v1/members/", {"cursor": tampered})) == [CURSOR_INVALID]
    for garbage in ("abc", ":", "x" * 5000, "🙂", raw + "x"):
        assert error(client.get("/api/v1/members/", {"cursor": garbage})) == [CURSOR_INVALID]
    # A genuine cursor of another list is refused, not misread.
    assert error(client.get("/api/v1/cases/", {"cursor": raw})) == [CURSOR_FOREIGN]
    assert error(client.get("/api/v1/members/", {"cursor": "", "ordering": "code"})) == [
        CURSOR_WITH_ORDERING
    ]


def test_page_numbers_unchanged_without_cursor(users, members, api):
    body = api(users["street"]).get("/api/v1/members/", {"page_size": 3}).json()
    assert set(body) == {"count", "count_exact", "next", "previous", "results"}
    assert body["count"] == len(members) and "page=2" in body["next"]


def test_the_cursor_is_documented_on_the_large_lists_only():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("households", "residents", "members", "cases", "notifications"):
        names = {p["name"] for p in schema["paths"][f"/api/v1/{path}/"]["get"]["parameters"]}
        assert {"cursor", "page", "page_size"} <= names, path
    names = {p["name"] for p in schema["paths"]["/api/v1/organizations/"]["get"]["parameters"]}
    assert "cursor" not in names
