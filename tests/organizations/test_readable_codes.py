"""Item 6 of issue 13: a record created without a code — in the admin, through the API or by
any service — gets a readable one from its community (``DY-A-0001``), the same rule as the
file imports (``organizations.models.codes.readable_codes``), never a random string; two
creations at once never get the same code (PostgreSQL, real concurrent transactions)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.urls import reverse

from organizations.models import CommitteeSeat, Member, Post
from organizations.models.codes import PREFIXES, ReadableCode, readable_codes
from tests.organizations.factories import MemberFactory, PostFactory, make_id_number

pytestmark = pytest.mark.django_db


def _member_form(tree, n: int, code: str = "") -> dict:
    return {
        "code": code,
        "name": f"周{n}",
        "gender": "female",
        "birth_date": "",
        "id_number": make_id_number(date(1992, 3, 4), n, male=False),
        "phone": "",
        "category": "resident",
        "status": "full",
        "branch": tree["branch_a"].pk,
        "join_date": "",
        "address": "",
    }


def test_every_model_with_a_code_rule_generates_readable_codes():
    from django.apps import apps

    models = [m for m in apps.get_models() if m._meta.model_name in PREFIXES]
    assert {m._meta.model_name for m in models} == set(PREFIXES)
    for model in models:
        assert issubclass(model, ReadableCode), model
        field = model._meta.get_field("code")
        assert field.blank and field.default == "", model


def test_admin_add_without_code_gets_the_communitys_next_code(admin_client_for, users, tree):
    MemberFactory(code="DY-A-0041", branch=tree["branch_a"])
    MemberFactory(code="DY-B-0900", branch=tree["branch_b"])  # another community's numbers
    client = admin_client_for(users["cadre_a"])
    for n in (1, 2):
        response = client.post(reverse("admin:organizations_member_add"), _member_form(tree, n))
        assert response.status_code == 302, response.content.decode()[:2000]
    codes = list(Member.objects.filter(name__in=["周1", "周2"]).order_by("pk").values_list("code"))
    assert codes == [("DY-A-0042",), ("DY-A-0043",)]


def test_admin_add_form_offers_no_random_code(admin_client_for, users):
    html = admin_client_for(users["cadre_a"]).get(reverse("admin:organizations_member_add"))
    text = html.content.decode()
    assert 'name="code"' in text
    assert 'name="code" value="' not in text  # blank, not a pre-generated random code
    assert "留空由系统按所在社区生成" in text


def test_admin_keeps_a_code_that_is_given(admin_client_for, users, tree):
    client = admin_client_for(users["cadre_a"])
    response = client.post(
        reverse("admin:organizations_member_add"), _member_form(tree, 3, code="DY-OWN-1")
    )
    assert response.status_code == 302
    assert Member.objects.filter(code="DY-OWN-1").exists()


def test_api_create_without_code_gets_a_readable_code(api, users, tree):
    client = api(users["cadre_a"])
    payload = {
        "name": "党员甲",
        "gender": "male",
        "id_number": make_id_number(date(1990, 1, 1), 7),
        "category": "in_service",
        "branch": "A-01",
    }
    first = client.post("/api/v1/members/", payload, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["code"] == "DY-A-0001"
    blank = client.post(
        "/api/v1/members/",
        {**payload, "code": "", "id_number": make_id_number(date(1990, 1, 1), 8)},
        format="json",
    )
    assert blank.status_code == 201, blank.json()
    assert blank.json()["code"] == "DY-A-0002"


def test_api_create_seat_without_code(api, users, tree):
    response = api(users["cadre_a"]).post(
        "/api/v1/committee-seats/",
        {
            "committee": "A",
            "person_name": "王五",
            "seat_type": "resident_member",
            "term_start": "2025-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["code"] == "WY-A-0001"
    assert CommitteeSeat.objects.get().code == "WY-A-0001"


def test_service_and_plain_save_use_the_same_rule(tree):
    post = PostFactory(code="", community=tree["community_a"])
    assert post.code == "GW-A-0001"
    assert readable_codes(Post, tree["community_a"], 2) == ["GW-A-0002", "GW-A-0003"]


def test_existing_records_code_cannot_be_cleared(tree):
    member = MemberFactory(branch=tree["branch_a"])
    member.code = ""
    with pytest.raises(ValidationError) as caught:
        member.full_clean()
    assert "code" in caught.value.message_dict


def test_a_number_taken_meanwhile_moves_to_the_next(tree, monkeypatch):
    """The generator read a number another writer has since used: the insert fails on the
    unique code and the next number is taken, inside the caller's transaction."""
    from organizations.models import codes

    MemberFactory(code="DY-A-0001", branch=tree["branch_a"])
    calls = []
    real = codes.readable_codes

    def stale(model, organization, count):
        calls.append(1)
        return ["DY-A-0001"] if len(calls) == 1 else real(model, organization, count)

    monkeypatch.setattr(codes, "readable_codes", stale)
    with transaction.atomic():
        member = MemberFactory(code="", branch=tree["branch_a"])
    assert member.code == "DY-A-0002" and len(calls) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent transactions"
)
def test_two_creations_at_once_get_different_codes(tree):
    """Both writers read the same highest number (neither sees the other's uncommitted row);
    the second insert waits on the unique index, fails when the first commits, and takes the
    next number."""
    from organizations.models import codes

    branch = tree["branch_a"]
    read_both = threading.Barrier(2, timeout=20)
    real = codes.readable_codes
    results: dict[int, object] = {}

    waited: set[int] = set()

    def racing(model, organization, count):
        found = real(model, organization, count)
        if threading.get_ident() not in waited:  # each writer's first read meets the other's
            waited.add(threading.get_ident())
            read_both.wait()
        return found

    def create(n: int) -> None:
        try:
            with transaction.atomic():
                member = MemberFactory(code="", branch=branch, name=f"并发{n}")
            results[n] = member.code
        except Exception as exc:  # asserted below
            results[n] = exc
        finally:
            connections.close_all()

    codes.readable_codes = racing
    try:
        threads = [threading.Thread(target=create, args=(n,)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        codes.readable_codes = real
    assert all(isinstance(code, str) for code in results.values()), results
    assert sorted(results.values()) == ["DY-A-0001", "DY-A-0002"], results
    assert sorted(Member.objects.values_list("code", flat=True)) == ["DY-A-0001", "DY-A-0002"]
