from datetime import date

import pytest
from django.urls import reverse

from covenants.clauses import DEFAULT_CLAUSES, clause_label
from covenants.services import agreement_draft, project_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafted(tree, units, users):
    agreement = agreement_draft(
        actor=users["cadre_a"],
        code="AG-PRINT",
        party_a=tree["community_a"],
        unit=units["a"],
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 12, 31),
        party_a_signatory="李书记",
        party_b_signatory="赵校长",
    )
    project_claim(
        actor=users["cadre_a"],
        agreement=agreement,
        code="SP-P",
        title="校园操场周末开放",
        category="resource_sharing",
        venue="学校操场",
    )
    return agreement


def test_clause_labels():
    assert [clause_label(n) for n in (1, 9, 10, 11, 20, 23)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "二十三",
    ]


def test_printable_agreement_has_both_parties_every_clause_and_seal_blocks(
    drafted, users, admin_client_for
):
    client = admin_client_for(users["cadre_a"])
    response = client.get(reverse("admin:covenants_agreement_print", args=[drafted.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '甲方：<strong class="party-a">园林社区大党委</strong>' in html
    assert '乙方：<strong class="party-b">园林小学</strong>' in html
    for number, text in enumerate(DEFAULT_CLAUSES, start=1):
        assert f"{clause_label(number)}、{text}" in html
    assert html.count("负 责 人（签字）") == 2
    assert "社区党组织（盖章）" in html and "辖区单位（盖章）" in html
    assert "李书记" in html and "赵校长" in html
    assert "校园操场周末开放" in html and "学校操场" in html
    assert "草稿" in html  # a draft is watermarked


def test_print_is_scoped(drafted, users, admin_client_for, api):
    client = admin_client_for(users["cadre_b"])
    response = client.get(reverse("admin:covenants_agreement_print", args=[drafted.pk]))
    assert response.status_code == 404
    assert api(users["cadre_b"]).get("/api/v1/agreements/AG-PRINT/print/").status_code == 404
    response = api(users["cadre_a"]).get("/api/v1/agreements/AG-PRINT/print/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert all(text in body for text in DEFAULT_CLAUSES)
