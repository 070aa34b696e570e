"""VisitLog.member (issue 4): a visit by a party member, the member scope-checked in the
service, the API, the admin and the visit-log file (by the member's code)."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from grids.importers import VisitLogImporter
from grids.models import VisitLog
from grids.services.visits import visit_log_create, visit_log_update
from tests.core.files import csv_bytes
from tests.organizations.factories import MemberFactory


@pytest.fixture
def members(tree):
    return {
        "a": MemberFactory(code="DY-A1", name="刘党员", branch=tree["branch_a"]),
        "b": MemberFactory(code="DY-B1", name="陈党员", branch=tree["branch_b"]),
    }


def test_visit_by_a_member_in_scope(users, roster, members):
    visit = visit_log_create(
        actor=users["cadre_a"],
        household=roster["households"]["h2"],
        content="党员入户走访",
        member=members["a"],
    )
    visit.refresh_from_db()
    assert visit.member == members["a"]
    assert visit.visitor_kind == "member" and visit.visitor_name == "刘党员"
    assert visit.visitor == users["cadre_a"]


def test_visit_by_a_member_outside_scope_is_refused(users, roster, members):
    household = roster["households"]["h2"]
    with pytest.raises(ValidationError, match="对象不存在"):
        visit_log_create(
            actor=users["cadre_a"], household=household, content="x", member=members["b"]
        )
    assert not VisitLog.objects.exists()
    visit = visit_log_create(actor=users["cadre_a"], household=household, content="x")
    with pytest.raises(ValidationError, match="对象不存在"):
        visit_log_update(actor=users["cadre_a"], visit=visit, member=members["b"])
    visit.refresh_from_db()
    assert visit.member is None


def test_api_member_by_code_accepted_and_out_of_scope_refused(api, users, roster, members):
    client = api(users["cadre_a"])
    body = {"household": "A-H2", "visitor_kind": "member", "content": "入户走访"}
    response = client.post("/api/v1/visit-logs/", {**body, "member": "DY-A1"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["member"] == "DY-A1" and response.json()["visitor_name"] == "刘党员"
    refused = client.post("/api/v1/visit-logs/", {**body, "member": "DY-B1"}, format="json")
    unknown = client.post("/api/v1/visit-logs/", {**body, "member": "DY-ZZ"}, format="json")
    # Out of scope reads exactly like unknown: 400, and B's member is never named.
    assert refused.status_code == unknown.status_code == 400
    assert refused.json()["errors"]["member"] == [
        m.replace("DY-ZZ", "DY-B1") for m in unknown.json()["errors"]["member"]
    ]
    assert "陈党员" not in refused.content.decode()
    assert VisitLog.objects.count() == 1


def test_admin_adds_a_visit_by_a_member(admin_client_for, users, roster, members):
    client = admin_client_for(users["cadre_a"])
    data = {
        "household": roster["households"]["h2"].pk,
        "visitor_kind": "member",
        "member": members["a"].pk,
        "visitor_name": "",
        "visited_on": "2024-03-01",
        "content": "党员入户走访",
        "needs": "",
    }
    page = client.get("/admin/grids/visitlog/add/").content.decode()
    assert 'name="member"' in page
    response = client.post("/admin/grids/visitlog/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert VisitLog.objects.get().member == members["a"]
    data["member"] = members["b"].pk
    response = client.post("/admin/grids/visitlog/add/", data)
    assert response.status_code == 200  # not a valid choice for this user
    assert VisitLog.objects.count() == 1


VISIT_HEADER = ["编号", "户编码", "走访人身份", "走访人", "走访日期", "走访情况", "走访党员编号"]


def _import_visits(user, *rows):
    return VisitLogImporter(user).run(csv_bytes([VISIT_HEADER, *rows]), "visits.csv", dry_run=False)


def test_visit_export_shows_the_member_code(users, roster, members):
    visit_log_create(
        actor=users["cadre_a"],
        household=roster["households"]["h2"],
        content="党员入户走访",
        member=members["a"],
        code="V-M1",
    )
    visit_log_create(
        actor=users["cadre_a"], household=roster["households"]["h3"], content="x", code="V-M2"
    )
    content = VisitLogImporter(users["cadre_a"]).export(VisitLog.objects.order_by("code"), "csv")
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    column = table[0].index("走访党员编号")
    assert [row[column] for row in table[1:]] == ["DY-A1", ""]


def test_visit_import_sets_the_member_by_code(users, roster, members):
    result = _import_visits(
        users["cadre_a"],
        ["V-M1", "A-H2", "党员", "刘党员", "2024-03-01", "入户走访", "DY-A1"],
        ["V-M2", "A-H3", "网格员", "赵专职", "2024-03-01", "入户走访", ""],
    )
    assert result.committed, [str(e) for e in result.errors]
    assert VisitLog.objects.get(code="V-M1").member == members["a"]
    assert VisitLog.objects.get(code="V-M2").member is None


@pytest.mark.parametrize(
    ("code", "message"),
    [("DY-XX", "找不到党员“DY-XX”"), ("DY-B1", "找不到党员“DY-B1”")],
)
def test_visit_import_refuses_an_unknown_or_out_of_scope_member(
    users, roster, members, code, message
):
    result = _import_visits(
        users["cadre_a"],
        ["V-M1", "A-H2", "党员", "刘党员", "2024-03-01", "入户走访", "DY-A1"],
        ["V-M2", "A-H3", "党员", "某党员", "2024-03-01", "入户走访", code],
    )
    assert not result.committed
    assert [str(e) for e in result.errors] == [f"第 3 行 走访党员编号: {message}。"]
    assert not VisitLog.objects.exists()


def test_visit_import_keeps_a_member_already_on_the_visit(users, roster, members):
    """As visit_log_update: re-importing an export must not fail on a member the visit
    already names (set by someone with a wider scope)."""
    visit = visit_log_create(
        actor=users["street"],
        household=roster["households"]["h2"],
        content="x",
        member=members["b"],
        code="V-M1",
    )
    result = _import_visits(
        users["cadre_a"], ["V-M1", "A-H2", "党员", "陈党员", "2024-03-01", "改过", "DY-B1"]
    )
    assert result.committed, [str(e) for e in result.errors]
    visit.refresh_from_db()
    assert visit.member == members["b"] and visit.content == "改过"
