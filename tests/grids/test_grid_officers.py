"""支部建在网格上 (a grid's covering branch), the officers' dashboard figures (vacancies,
uncovered grids, household size against residents, the central-household 1–5 rule) and the
unit assessment as an automatic indicator."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from governance.assessment.dashboard import build_dashboard
from grids.models import Grid, Household
from organizations.models import Officer

pytestmark = pytest.mark.django_db


def panel(user, key):
    _, panels = build_dashboard(user)
    return {p.key: p for p in panels}[key]


def row(p, name):
    return next(r for r in p.rows if r[0] == name)


# ---------------------------------------------------------------- covering branch


def test_api_links_a_grid_to_its_branch_and_refuses_wrong_kind_or_community(
    api, users, grids, tree
):
    client = api(users["cadre_a"])
    url = "/api/v1/grids/A-S1-G1/"
    assert client.patch(url, {"covering_branch": "A-01"}, format="json").status_code == 200
    assert Grid.objects.get(code="A-S1-G1").covering_branch == tree["branch_a"]
    wrong_kind = client.patch(url, {"covering_branch": "A-01-B1"}, format="json")
    assert wrong_kind.status_code == 400
    assert "覆盖党组织应为" in str(wrong_kind.json()["errors"]["covering_branch"])
    # A micro-grid may be covered by a building party group.
    micro = client.patch("/api/v1/grids/A-S1-G1-M1/", {"covering_branch": "A-01-B1"}, format="json")
    assert micro.status_code == 200, micro.json()
    # Another community's branch reads as unknown, like a code that does not exist.
    other = client.patch(url, {"covering_branch": "B-01"}, format="json")
    unknown = client.patch(url, {"covering_branch": "NOPE"}, format="json")
    assert other.status_code == unknown.status_code == 400
    assert Grid.objects.get(code="A-S1-G1").covering_branch == tree["branch_a"]
    community_level = client.patch("/api/v1/grids/A-G/", {"covering_branch": "A-01"}, format="json")
    assert community_level.status_code == 400


def test_street_sees_a_branch_of_another_community_refused_by_rule(api, users, grids, tree):
    response = api(users["street"]).patch(
        "/api/v1/grids/A-S1-G1/", {"covering_branch": "B-01"}, format="json"
    )
    assert response.status_code == 400
    assert "不在" in str(response.json()["errors"]["covering_branch"])


def test_dashboard_counts_uncovered_grids_and_drills_down(users, grids, tree, admin_client_for):
    Grid.objects.filter(code="A-S1-G1").update(covering_branch=tree["branch_a"])
    p = panel(users["street"], "grid_branches")
    # A: g1, g2, micro → one covered; B: gb uncovered.
    assert row(p, tree["community_a"].name)[1:3] == [3, 2]
    assert row(p, tree["community_b"].name)[1:3] == [1, 1]
    client = admin_client_for(users["cadre_a"])
    page = client.get(reverse("admin:grids_grid_changelist") + "?covered=no")
    assert page.status_code == 200
    shown = {g.code for g in page.context["cl"].result_list}
    assert shown == {"A-S1-G2", "A-S1-G1-M1"}


# ---------------------------------------------------------------- vacancies


def test_vacancy_panel_counts_every_kind_of_empty_post(users, roster, tree):
    from grids.models import GridWorker

    Officer.objects.create(
        organization=tree["branch_a"],
        position="secretary",
        person_name="甲",
        term_start=date(2024, 1, 1),
    )
    Officer.objects.create(
        organization=tree["community_a"], position="building_leader", building=roster["buildings"]["b1"],
        person_name="楼长", term_start=date(2024, 1, 1),
    )  # fmt: skip
    p = panel(users["street"], "officer_vacancies")
    a = row(p, tree["community_a"].name)
    # 书记: community A (branch filled); 党小组长: A-01-B1; 楼栋长: A-B2 only; 网格长: grids
    # of A without an active leader.
    leaders = set(
        GridWorker.objects.filter(role="leader", active=True).values_list("grid__code", flat=True)
    )
    assert a[1:5] == [1, 1, 0, 1]
    assert a[5] == len({"A-S1-G1", "A-S1-G2"} - leaders)
    assert a[6] == sum(a[1:6])


def test_dashboard_with_new_panels_stays_constant(users, roster, tree, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build_dashboard(users["street"])
    with CaptureQueriesContext(connection) as first:
        build_dashboard(users["street"])
    for i in range(5):
        Officer.objects.create(
            organization=tree["branch_b"], position="committee_member", person_name=f"委{i}",
            term_start=date(2024, 1, 1),
        )  # fmt: skip
    with django_assert_num_queries(len(first.captured_queries)):
        build_dashboard(users["street"])


# ---------------------------------------------------------------- household size, 1–5 rule


def test_household_size_checked_against_residents(users, roster, tree, admin_client_for):
    h1 = Household.objects.get(code="A-H1")  # two residents
    Household.objects.filter(pk=h1.pk).update(size=2)
    expected_off = {
        h.code
        for h in Household.objects.all()
        if h.size != h.residents.count() and h.grid.community_id == tree["community_a"].id
    }
    p = panel(users["street"], "household_size")
    assert row(p, tree["community_a"].name)[2] == len(expected_off)
    page = admin_client_for(users["cadre_a"]).get(
        reverse("admin:grids_household_changelist") + "?size_check=off"
    )
    assert {h.code for h in page.context["cl"].result_list} == expected_off
    assert "A-H1" not in expected_off


def test_central_household_rule_in_dashboard_and_admin(users, roster, tree, admin_client_for):
    from grids.models import CentralHouseholdLink
    from tests.factories import OrganizationFactory

    central = OrganizationFactory(
        code="A-01-B1-H1", name="张家中心户", kind="central_household", parent=tree["group_a"]
    )
    idle = OrganizationFactory(
        code="A-01-B1-H2", name="李家中心户", kind="central_household", parent=tree["group_a"]
    )
    CentralHouseholdLink.objects.create(
        organization=central, household=Household.objects.get(code="A-H1"), since=date(2024, 1, 1)
    )
    p = panel(users["street"], "central_households")
    assert row(p, tree["community_a"].name)[1:5] == [2, 1, 1, 0]
    page = admin_client_for(users["cadre_a"]).get(
        reverse("admin:grids_centralhouseholdlink_changelist")
    )
    text = page.content.decode()
    assert idle.name in text and "未联系住户" in text


# ---------------------------------------------------------------- automatic indicator


def test_unit_assessment_is_an_automatic_indicator(tree, django_assert_num_queries):
    from covenants.models import UnitAssessment
    from governance.assessment.figures import FIGURES, figure_choices
    from tests.covenants.factories import PartnerUnitFactory

    assert "unit_assessment_score" in dict(figure_choices())
    u1 = PartnerUnitFactory(organization=tree["street"])
    u2 = PartnerUnitFactory(organization=tree["street"])
    for unit, org, score, year in (
        (u1, tree["community_a"], 90, 2026),
        (u2, tree["community_a"], 70, 2026),
        (u1, tree["community_b"], 50, 2025),  # outside the period
    ):
        UnitAssessment.objects.create(
            unit=unit, organization=org, year=year, score=score, grade="good"
        )

    class Period:
        starts_on, ends_on = date(2026, 1, 1), date(2026, 3, 31)

    nodes = [
        dict(id=o.id, tree_id=o.tree_id, lft=o.lft, rght=o.rght, kind=o.kind)
        for o in (tree["street"], tree["community_a"], tree["community_b"])
    ]
    with django_assert_num_queries(1):
        ratios = FIGURES["unit_assessment_score"].func(nodes, Period())
    assert ratios == {
        tree["street"].id: Decimal("0.8"),
        tree["community_a"].id: Decimal("0.8"),
    }


def test_roster_import_warns_when_household_size_differs_from_residents(
    api, users, roster, admin_client_for
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grids.roster import RosterImporter
    from tests.core.files import csv_bytes
    from tests.grids.test_roster_import import good_rows, row

    rows = good_rows()  # N-H1 declares 2 with two rows, N-H2 declares 1 with one row
    rows.append(row("N-H3", "吴一", 104, door="3-203", head="吴一", size="4"))
    result = RosterImporter(users["cadre_a"]).run(csv_bytes(rows), "r.csv", dry_run=True)
    assert result.ok
    assert [(w.row, w.column) for w in result.warnings] == [(5, "户人数")]
    assert "户人数为 4" in str(result.warnings[0]) and "登记居民 1 人" in str(result.warnings[0])
    # The same in the API preview and the admin preview; the import itself goes ahead.
    client = api(users["cadre_a"])
    preview = client.post(
        "/api/v1/households/import/",
        {"file": SimpleUploadedFile("r.csv", csv_bytes(rows))},
        format="multipart",
    ).json()
    assert [w["row"] for w in preview["warnings"]] == [5]
    page = admin_client_for(users["cadre_a"]).post(
        "/admin/grids/household/import/", {"file": SimpleUploadedFile("r.csv", csv_bytes(rows))}
    )
    assert "请核对" in page.content.decode() and "户人数为 4" in page.content.decode()
    done = RosterImporter(users["cadre_a"]).run(csv_bytes(rows), "r.csv", dry_run=False)
    assert done.committed
    # A stored household gaining a resident: stored residents count too.
    stored = Household.objects.get(code="N-H2")
    again = [rows[0], row("N-H2", "周二", 105, door="3-202", head="周一", size="1", micro="A-S1-G1-M1", relation="配偶")]  # fmt: skip
    result = RosterImporter(users["cadre_a"]).run(csv_bytes(again), "r.csv", dry_run=True)
    assert result.ok and "登记居民 2 人" in str(result.warnings[0]), stored


def test_grid_import_sets_covering_branch_and_refuses_bad_ones(users, grids, tree):
    from grids.importers import GridImporter
    from tests.core.files import csv_bytes

    header = ["网格编码", "名称", "层级", "上级网格编码", "所属社区编码", "覆盖党组织编码"]
    good = [header, ["A-S1-G2", "第二网格", "网格", "A-S1", "A", "A-01"]]
    result = GridImporter(users["cadre_a"]).run(csv_bytes(good), "g.csv", dry_run=False)
    assert result.committed, [str(e) for e in result.errors]
    assert Grid.objects.get(code="A-S1-G2").covering_branch == tree["branch_a"]
    for branch, words in (("B-01", "找不到"), ("A-01-B1", "覆盖党组织应为"), ("NOPE", "找不到")):
        bad = [header, ["A-S1-G2", "第二网格", "网格", "A-S1", "A", branch]]
        result = GridImporter(users["cadre_a"]).run(csv_bytes(bad), "g.csv", dry_run=False)
        assert any(words in str(e) and str(e).startswith("第 2 行") for e in result.errors), (
            branch,
            [str(e) for e in result.errors],
        )
    assert Grid.objects.get(code="A-S1-G2").covering_branch == tree["branch_a"]
    exported = GridImporter(users["cadre_a"]).export(Grid.objects.filter(code="A-S1-G2"), "csv")
    content = exported if isinstance(exported, bytes) else exported[0]
    assert "A-01" in content.decode("utf-8-sig")
