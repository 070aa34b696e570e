"""The six needles: party-led owners' committees, red property, disclosures; 六有 coverage."""

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog
from organizations.importers import BodyImporter, SixHavesImporter
from organizations.models import Body, FinancialDisclosure, SixHaves
from organizations.selectors import members as selectors
from organizations.services import members as services
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def csv_file(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def extra(tree):
    a2 = OrganizationFactory(
        code="A-02", name="二号院党支部", kind="compound_branch", parent=tree["community_a"]
    )
    wy = OrganizationFactory(
        code="A-WY", name="物业党支部", kind="property_branch", parent=tree["community_a"]
    )
    for node in (a2, wy, *tree.values()):
        node.refresh_from_db()
    return {"a2": a2, "wy": wy}


def body(community, kind, **kw):
    return Body.objects.create(community=community, kind=kind, name=kw.pop("name", kind), **kw)


def test_coverage_per_community_and_street(tree, users, extra):
    a = tree["community_a"]
    body(a, "owners_committee", compound=tree["branch_a"], is_party_led=True)
    body(a, "owners_committee", compound=extra["a2"])
    body(a, "property_company", compound=tree["branch_a"], property_branch=extra["wy"])
    body(a, "property_company", compound=extra["a2"])
    body(tree["community_b"], "owners_committee", compound=tree["branch_b"], is_party_led=True)
    body(a, "workstation")
    rows = {r.organization.code: r for r in selectors.needle_coverage(users["street"])}
    assert (rows["A"].owners_committees, rows["A"].party_led_owners_committees) == (2, 1)
    assert rows["A"].party_led_share == 0.5
    assert (
        rows["A"].compounds,
        rows["A"].compounds_with_property,
        rows["A"].red_property_compounds,
    ) == (2, 2, 1)
    assert rows["S"].party_led_share == round(2 / 3, 4)
    assert rows["S"].red_property_share == 0.5
    assert rows["S"].bodies_by_kind["owners_committee"] == 3
    assert rows["B"].red_property_share is None
    only_b = {r.organization.code for r in selectors.needle_coverage(users["cadre_b"])}
    assert only_b == {"B"}


def test_body_rules(tree, extra):
    with pytest.raises(ValidationError) as exc:
        Body(
            community=tree["community_a"],
            kind="workstation",
            name="x",
            property_branch=extra["wy"],
            is_party_led=True,
        ).full_clean()
    assert {"property_branch", "is_party_led"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        Body(
            community=tree["community_a"],
            kind="owners_committee",
            name="x",
            compound=tree["branch_b"],
        ).full_clean()
    assert "compound" in exc.value.message_dict


def test_disclosures_only_for_shareholding_companies_and_publish(tree, users):
    company = body(tree["community_a"], "shareholding_company", name="园林股份合作公司")
    disclosure = FinancialDisclosure.objects.create(
        body=company,
        period="2025年第2季度",
        period_start=date(2025, 4, 1),
        period_end=date(2025, 6, 30),
        title="2025年第2季度财务公开",
        income=100000,
        expenditure=40000,
        dividend=20000,
    )
    assert not selectors.public_disclosures().exists()
    services.disclosure_publish(actor=users["cadre_a"], disclosure=disclosure)
    assert list(selectors.public_disclosures(tree["community_a"])) == [disclosure]
    assert AuditLog.objects.filter(action="disclosure.publish").exists()
    wrong = FinancialDisclosure(
        body=body(tree["community_a"], "workstation"),
        period="x",
        period_start=date(2025, 1, 1),
        period_end=date(2024, 1, 1),
        title="x",
    )
    with pytest.raises(ValidationError) as exc:
        wrong.full_clean()
    assert {"body", "period_end"} <= set(exc.value.message_dict)


def test_publish_api_scoped(api, users, tree):
    company = body(tree["community_a"], "shareholding_company", name="园林股份合作公司")
    FinancialDisclosure.objects.create(
        body=company,
        code="GK-1",
        period="2025年度",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        title="年度公开",
    )
    url = "/api/v1/financial-disclosures/GK-1/publish/"
    assert api(users["cadre_b"]).post(url).status_code == 404
    response = api(users["cadre_a"]).post(url)
    assert response.status_code == 200 and response.json()["is_public"] is True


def test_six_haves_coverage(tree, users, extra):
    full = {
        name: True
        for name in (
            "has_approval",
            "has_members",
            "has_commissioner",
            "has_rules",
            "has_venue",
            "has_activities",
        )
    }
    SixHaves.objects.create(
        branch=tree["branch_a"], approval_document="铁东组字〔2019〕3号", **full
    )
    SixHaves.objects.create(branch=extra["a2"], has_members=True)
    rows = {c.code: c for c in selectors.six_haves_coverage(users["street"])}
    assert (rows["A"].compounds, rows["A"].checked, rows["A"].complete) == (2, 2, 1)
    assert (rows["B"].compounds, rows["B"].checked, rows["B"].complete) == (1, 0, 0)


def test_six_haves_only_for_compound_branches_and_needs_document(tree):
    with pytest.raises(ValidationError) as exc:
        SixHaves(branch=tree["community_a"], has_approval=True).full_clean()
    assert {"branch", "approval_document"} <= set(exc.value.message_dict)


def test_six_haves_import_updates_by_branch_code(tree, users):
    data = csv_file(
        [
            ["小区党支部编码", "有批复文件", "批复文号", "有党员", "有场所"],
            ["A-01", "是", "文号1", "是", "否"],
        ]
    )
    assert SixHavesImporter(users["cadre_a"]).run(data, "s.csv", dry_run=False).committed
    data = data.replace("否".encode(), "是".encode())
    result = SixHavesImporter(users["cadre_a"]).run(data, "s.csv", dry_run=False)
    assert result.committed and result.updated == 1
    assert SixHaves.objects.get().has_venue is True
    result = SixHavesImporter(users["cadre_a"]).run(data.replace(b"A-01", b"B-01"), "s.csv")
    assert [(e.row, e.column) for e in result.errors] == [(2, "小区党支部编码")]


def test_body_import_rejects_wrong_links(tree, users, extra):
    data = csv_file(
        [
            [
                "所在社区编码",
                "主体类型",
                "名称",
                "服务小区党支部编码",
                "党组织领导",
                "物业党支部编码",
            ],
            ["A", "业主委员会", "一号院业委会", "A-01", "是", ""],
            ["A", "物业服务企业", "红色物业", "A-01", "", "A-WY"],
            ["A", "物业服务企业", "错误物业", "B-01", "", ""],
        ]
    )
    result = BodyImporter(users["cadre_a"]).run(data, "b.csv", dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(4, "服务小区党支部编码")]
    assert not Body.objects.exists()
    result = BodyImporter(users["cadre_a"]).run(
        data.rsplit(b"\r\n", 2)[0] + b"\r\n", "b.csv", dry_run=False
    )
    assert result.committed, [str(e) for e in result.errors]
    assert Body.objects.get(name="红色物业").is_red_property


def test_coverage_api(api, users, tree):
    body(tree["community_a"], "owners_committee", compound=tree["branch_a"], is_party_led=True)
    rows = api(users["street"]).get("/api/v1/bodies/coverage/").json()
    street = next(r for r in rows if r["organization"] == "S")
    assert street["party_led_share"] == 1.0
    assert api(users["street"]).get("/api/v1/six-haves/coverage/").status_code == 200
