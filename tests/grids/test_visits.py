"""Central-household links (1–5 usual, at most 10) and visit diaries that become cases."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from grids.models import Case, CentralHouseholdLink, VisitLog
from grids.selectors import central_households_visible_to
from grids.services.visits import central_link_create, visit_log_create, visit_to_case
from tests.factories import OrganizationFactory
from tests.grids.factories import HouseholdFactory


@pytest.fixture
def central(tree):
    node = OrganizationFactory(
        code="A-01-B1-H1", name="1号楼党员中心户", kind="central_household", parent=tree["group_a"]
    )
    node.refresh_from_db()
    return node


def test_link_and_usual_range_flag(users, roster, central):
    assert central_households_visible_to(users["cadre_a"]).get().outside_usual is True  # 0 links
    central_link_create(
        actor=users["cadre_a"], organization=central, household=roster["households"]["h1"]
    )
    row = central_households_visible_to(users["cadre_a"]).get()
    assert row.link_count == 1 and row.outside_usual is False


def test_at_most_ten_households(users, roster, central):
    for _ in range(10):
        household = HouseholdFactory(building=roster["buildings"]["b1"])
        central_link_create(actor=users["cadre_a"], organization=central, household=household)
    assert central_households_visible_to(users["cadre_a"]).get().outside_usual is True  # 10 > 5
    with pytest.raises(ValidationError) as exc:
        central_link_create(
            actor=users["cadre_a"], organization=central, household=roster["households"]["h1"]
        )
    assert "最多联系 10 户" in str(exc.value)
    assert CentralHouseholdLink.objects.count() == 10


def test_only_central_households_and_pioneer_posts(users, roster, tree):
    with pytest.raises(ValidationError):
        central_link_create(
            actor=users["cadre_a"],
            organization=tree["group_a"],
            household=roster["households"]["h1"],
        )


def test_household_of_another_community_is_refused(users, roster, central):
    with pytest.raises((ValidationError, PermissionDenied)):
        central_link_create(
            actor=users["root"], organization=central, household=roster["households"]["hb1"]
        )
    assert not CentralHouseholdLink.objects.exists()


def test_link_outside_scope_is_refused(users, roster, central):
    with pytest.raises(ValidationError, match="对象不存在"):
        central_link_create(
            actor=users["cadre_b"], organization=central, household=roster["households"]["h1"]
        )


def test_same_household_twice_is_refused(users, roster, central):
    central_link_create(
        actor=users["cadre_a"], organization=central, household=roster["households"]["h1"]
    )
    with pytest.raises(ValidationError):
        central_link_create(
            actor=users["cadre_a"], organization=central, household=roster["households"]["h1"]
        )


def test_visit_turns_into_a_case_in_one_step(users, roster, central):
    household = roster["households"]["h1"]
    central_link_create(actor=users["cadre_a"], organization=central, household=household)
    visit = visit_log_create(
        actor=users["grid_a"],
        household=household,
        visitor_kind="member",
        content="走访独居老人张三",
        needs="楼道灯坏了",
        central_household=central,
    )
    assert visit.visitor == users["grid_a"] and visit.code.startswith("V")
    case = visit_to_case(actor=users["grid_a"], visit=visit, category="facilities")
    assert case.source == "visit" and case.household == household and case.grid == household.grid
    assert case.description == "楼道灯坏了"
    assert case.reporter_name == household.head_name
    assert case.reporter_phone == "13812345678"  # the head's phone
    visit.refresh_from_db()
    assert visit.case == case
    with pytest.raises(ValidationError):
        visit_to_case(actor=users["grid_a"], visit=visit, category="facilities")
    assert Case.objects.count() == 1


def test_visit_with_a_central_household_not_linked_is_refused(users, roster, central):
    with pytest.raises(ValidationError):
        visit_log_create(
            actor=users["grid_a"],
            household=roster["households"]["h2"],
            content="x",
            central_household=central,
        )
    assert not VisitLog.objects.exists()


def test_visit_outside_scope_is_refused(users, roster):
    with pytest.raises(ValidationError, match="对象不存在"):
        visit_log_create(actor=users["grid_a"], household=roster["households"]["hb1"], content="x")


def test_api_visit_to_case(api, users, roster):
    client = api(users["grid_a"])
    response = client.post(
        "/api/v1/visit-logs/",
        {
            "household": "A-H2",
            "visitor_kind": "grid_worker",
            "content": "入户走访",
            "needs": "下水道堵塞",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    code = response.json()["code"]
    converted = client.post(f"/api/v1/visit-logs/{code}/to-case/", {"category": "facilities"})
    assert converted.status_code == 201
    assert converted.json()["source"] == "visit" and converted.json()["household"] == "A-H2"
    assert api(users["cadre_b"]).get(f"/api/v1/visit-logs/{code}/").status_code == 404


def test_api_links_scoped(api, users, roster, central):
    central_link_create(
        actor=users["cadre_a"], organization=central, household=roster["households"]["h1"]
    )
    assert len(api(users["cadre_a"]).get("/api/v1/central-household-links/").json()["results"]) == 1
    assert api(users["cadre_b"]).get("/api/v1/central-household-links/").json()["results"] == []
    response = api(users["cadre_a"]).post(
        "/api/v1/central-household-links/",
        {"organization": "A-01-B1-H1", "household": "A-H2"},
        format="json",
    )
    assert response.status_code == 201


def test_link_import_checks_the_limit(users, roster, central):
    from grids.importers import CentralHouseholdLinkImporter
    from tests.core.files import csv_bytes

    households = [HouseholdFactory(building=roster["buildings"]["b1"]) for _ in range(11)]
    rows = [["中心户组织编码", "户编码"], *[["A-01-B1-H1", h.code] for h in households]]
    result = CentralHouseholdLinkImporter(users["cadre_a"]).run(
        csv_bytes(rows), "l.csv", dry_run=False
    )
    assert [str(e) for e in result.errors] == [
        "第 12 行 中心户组织编码: “1号楼党员中心户”联系户超过 10 户上限。"
    ]
    assert not CentralHouseholdLink.objects.exists()
    ok = CentralHouseholdLinkImporter(users["cadre_a"]).run(
        csv_bytes(rows[:6]), "l.csv", dry_run=False
    )
    assert ok.committed and CentralHouseholdLink.objects.count() == 5


def test_admin_visit_to_case(admin_client_for, users, roster):
    visit = visit_log_create(
        actor=users["cadre_a"],
        household=roster["households"]["h2"],
        content="走访",
        needs="路灯不亮",
    )
    client = admin_client_for(users["cadre_a"])
    assert "转为诉求" in client.get(f"/admin/grids/visitlog/{visit.pk}/change/").content.decode()
    response = client.post(
        f"/admin/grids/visitlog/{visit.pk}/to-case/", {"category": "facilities", "description": ""}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.case.description == "路灯不亮"


def test_visit_file_with_a_central_household_needs_a_linked_household(users, roster, central):
    from grids.importers import VisitLogImporter
    from tests.core.files import csv_bytes

    central_link_create(
        actor=users["cadre_a"], organization=central, household=roster["households"]["h1"]
    )
    header = ["编号", "户编码", "走访人身份", "走访人", "走访日期", "走访情况", "中心户组织编码"]
    linked = ["V-1", "A-H1", "党员", "党员甲", "2026-11-01", "走访", central.code]
    unlinked = ["V-2", "A-H2", "党员", "党员甲", "2026-11-01", "走访", central.code]
    bad = VisitLogImporter(users["cadre_a"]).run(
        csv_bytes([header, linked, unlinked]), "v.csv", dry_run=False
    )
    assert [str(e) for e in bad.errors] == [
        f"第 3 行 中心户组织编码: 户“A-H2”不是“{central.code}”的联系户。"
    ]
    assert not VisitLog.objects.exists()  # all or nothing
    good = VisitLogImporter(users["cadre_a"]).run(
        csv_bytes([header, linked]), "v.csv", dry_run=False
    )
    visit = VisitLog.objects.get()
    assert good.committed and visit.central_household == central
    assert visit.visitor == users["cadre_a"]  # who entered it, as through the service
    from core.models import AuditLog

    entry = AuditLog.objects.get(action="visitlog.import")
    assert entry.actor == users["cadre_a"] and entry.detail == {"created": 1, "updated": 0}
