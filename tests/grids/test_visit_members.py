"""VisitLog.member (issue 4): a visit by a party member, the member scope-checked."""

import pytest
from django.core.exceptions import PermissionDenied

from grids.models import VisitLog
from grids.services.visits import visit_log_create, visit_log_update
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
    with pytest.raises(PermissionDenied):
        visit_log_create(
            actor=users["cadre_a"], household=household, content="x", member=members["b"]
        )
    assert not VisitLog.objects.exists()
    visit = visit_log_create(actor=users["cadre_a"], household=household, content="x")
    with pytest.raises(PermissionDenied):
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
    assert refused.status_code == 403
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
