"""Dashboard: figures against known data, scope, constant queries, export; reports."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.scope import forget_scope
from governance.assessment.dashboard import PROVIDERS, build_dashboard
from governance.assessment.services import (
    admission_approve,
    admission_community_refuse,
    admission_file,
)
from tests.assessment.factories import AdmissionRequestFactory
from tests.core.files import read_xlsx
from tests.factories import OrganizationFactory


@pytest.fixture
def known(tree, users):
    # A: 2 compound branches (A-01 with a group, A-02 without); B: 1 branch with a group
    OrganizationFactory(
        code="A-02", name="园林二号院党支部", kind="compound_branch", parent=tree["community_a"]
    )
    for node in tree.values():
        node.refresh_from_db()  # the new branch shifted the nested-set fields
    reqs = [
        AdmissionRequestFactory(code=f"ZR-{i}", community=tree["community_a"]) for i in range(3)
    ]
    admission_file(
        actor=users["cadre_b"],
        code="ZR-B",
        community=tree["community_b"],
        department="区统计局",
        title="入户普查",
        funds=Decimal("0"),
        staff_count=1,
        starts_on="2026-04-01",
    )
    admission_approve(actor=users["street"], request=reqs[0])
    admission_community_refuse(actor=users["cadre_a"], request=reqs[1])


def panel(panels, key):
    return next(p for p in panels if p.key == key)


def test_figures_match_known_data(known, users):
    communities, panels = build_dashboard(users["street"])
    assert [c.code for c in communities] == ["A", "B"]
    branches = panel(panels, "compound_branches")
    assert branches.rows == [["园林社区大党委", 2, 1, 50.0], ["胜利社区大党委", 1, 1, 100.0]]
    assert branches.total == ["合计", 3, 2, 66.7]
    adm = panel(panels, "admission")
    assert adm.rows[0] == ["园林社区大党委", 3, 1, 0, 1, 1, 0]
    assert adm.rows[1] == ["胜利社区大党委", 1, 0, 0, 0, 1, 1]


def test_community_sees_only_itself(known, users):
    communities, panels = build_dashboard(users["cadre_b"])
    assert [c.code for c in communities] == ["B"]
    assert panel(panels, "admission").total == ["合计", 1, 0, 0, 0, 1, 1]


def test_street_dashboard_runs_in_constant_queries(known, users, tree, django_assert_num_queries):
    build_dashboard(users["street"])  # warm the scope cache on the user
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        build_dashboard(users["street"])
    # a handful per provider, never per community
    assert len(first.captured_queries) <= 4 * len(PROVIDERS)
    for i in range(5):
        c = OrganizationFactory(
            code=f"N{i}", name=f"新社区{i}", kind="community_committee", parent=tree["street"]
        )
        OrganizationFactory(code=f"N{i}-01", kind="compound_branch", parent=c)
    from organizations.tree import rebuild_tree_fields

    rebuild_tree_fields()
    forget_scope(users["street"])
    build_dashboard(users["street"])  # re-warm the scope cache
    with django_assert_num_queries(len(first.captured_queries)):
        communities, _ = build_dashboard(users["street"])
    assert len(communities) == 7


def test_missing_provider_shows_no_data(known, users, monkeypatch):
    from governance.assessment.dashboard import Provider

    monkeypatch.setitem(
        PROVIDERS, "ghost", Provider("ghost", "不存在的数据", "ghost.Model", lambda c, u: None)
    )
    _, panels = build_dashboard(users["street"])
    ghost = panel(panels, "ghost")
    assert not ghost.available and ghost.note == "暂无数据"


def test_dashboard_page_and_export(known, users, admin_client_for):
    client = admin_client_for(users["street"])
    page = client.get(reverse("admin:dashboard")).content.decode()
    assert "数据看板" in page and "<svg" in page and "小区党支部覆盖" in page
    assert reverse("admin:assessment_admissionrequest_changelist") in page
    data = client.get(reverse("admin:dashboard_export") + "?panel=admission").content
    rows = read_xlsx(data)
    assert rows[1][:3] == ["准入申请", "社区", "申请（件）"]
    assert rows[2][1:4] == ["园林社区大党委", 3, 1]


def test_dashboard_for_one_community_and_out_of_scope(known, users, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    assert client.get(reverse("admin:dashboard") + "?community=A").status_code == 200
    assert client.get(reverse("admin:dashboard") + "?community=B").status_code == 404
