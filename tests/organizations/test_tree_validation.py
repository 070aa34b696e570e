"""Tree rules, enforced by the model and therefore by the admin, the API and the services:
parent kinds, no node under itself or its descendants, dates in order, temporary branches end."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from organizations.models import Organization
from organizations.services import organization_create, organization_delete, organization_update

LIST = "/api/v1/organizations/"
KIND_MESSAGE = "楼栋党小组不能设在街道党工委之下"
DESCENDANT_MESSAGE = "上级组织不能是本组织或其下级组织。"
# The admin form offers neither the node's own subtree nor nodes outside the user's scope.
ADMIN_PARENT_MESSAGE = "上级组织不可选：不能是本组织或其下级组织，也不能超出您的管辖范围。"
END_BEFORE_START = "结束日期不能早于成立日期。"
TEMPORARY_END = "临时党支部必须填写结束日期。"


def admin_form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code  # re-rendered form, not saved
    return {k: [str(m) for m in v] for k, v in response.context["adminform"].form.errors.items()}


def admin_post(client, node, **changes):
    data = {
        "code": node.code,
        "name": node.name,
        "kind": node.kind,
        "parent": node.parent_id or "",
        "established_on": node.established_on or "",
        "ended_on": node.ended_on or "",
        "address": node.address,
        "phone": node.phone,
    }
    data.update({k: ("" if v is None else v) for k, v in changes.items()})
    url = (
        reverse("admin:organizations_organization_change", args=[node.pk])
        if node.pk
        else reverse("admin:organizations_organization_add")
    )
    return client.post(url, data)


# ---------------------------------------------------------------- the rules in the model


def test_parent_kind_rules(tree):
    node = Organization(code="X", name="x", kind="building_group", parent=tree["street"])
    with pytest.raises(ValidationError) as excinfo:
        node.full_clean()
    assert any(KIND_MESSAGE in m for m in excinfo.value.message_dict["parent"])
    Organization(code="X", name="x", kind="building_group", parent=tree["branch_a"]).full_clean()
    with pytest.raises(ValidationError):
        Organization(code="Y", name="y", kind="community_committee", parent=None).full_clean()


def test_a_node_cannot_sit_under_itself_or_a_descendant(tree):
    community = tree["community_a"]
    for parent in (community, tree["branch_a"], tree["group_a"]):
        community.parent = parent
        with pytest.raises(ValidationError) as excinfo:
            community.full_clean()
        assert DESCENDANT_MESSAGE in excinfo.value.message_dict["parent"]


def test_dates_and_temporary_branches(tree):
    from datetime import date

    node = Organization(
        code="T",
        name="t",
        kind="temporary_branch",
        parent=tree["community_a"],
        established_on=date(2024, 6, 1),
    )
    with pytest.raises(ValidationError) as excinfo:
        node.full_clean()
    assert excinfo.value.message_dict["ended_on"] == [TEMPORARY_END]
    node.ended_on = date(2024, 5, 1)
    with pytest.raises(ValidationError) as excinfo:
        node.full_clean()
    assert excinfo.value.message_dict["ended_on"] == [END_BEFORE_START]
    node.ended_on = date(2024, 9, 30)
    node.full_clean()


def test_codes_are_unique_and_well_formed(tree):
    with pytest.raises(ValidationError) as excinfo:
        Organization(
            code="A", name="重复", kind="community_committee", parent=tree["street"]
        ).full_clean()
    assert "code" in excinfo.value.message_dict


# ---------------------------------------------------------------- through the admin


def test_admin_rejects_building_group_under_street(users, tree, admin_client_for):
    client = admin_client_for(users["root"])
    before = Organization.objects.count()
    node = Organization(
        code="S-B1", name="错挂党小组", kind="building_group", parent=tree["street"]
    )
    errors = admin_form_errors(admin_post(client, node))
    assert any(KIND_MESSAGE in m for m in errors["parent"])
    assert Organization.objects.count() == before


@pytest.mark.parametrize("new_parent", ["community_a", "branch_a", "group_a"])
def test_admin_rejects_node_under_own_descendant(users, tree, admin_client_for, new_parent):
    client = admin_client_for(users["root"])
    community = tree["community_a"]
    errors = admin_form_errors(admin_post(client, community, parent=tree[new_parent].pk))
    assert errors["parent"] == [ADMIN_PARENT_MESSAGE]
    community.refresh_from_db()
    assert community.parent_id == tree["street"].pk


def test_admin_rejects_end_before_start(users, tree, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    errors = admin_form_errors(
        admin_post(client, tree["branch_a"], established_on="2020-01-01", ended_on="2019-12-31")
    )
    assert errors["ended_on"] == [END_BEFORE_START]


def test_admin_rejects_temporary_branch_without_end(users, tree, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    before = Organization.objects.count()
    node = Organization(
        code="A-T1", name="防汛临时党支部", kind="temporary_branch", parent=tree["community_a"]
    )
    errors = admin_form_errors(admin_post(client, node, established_on="2024-06-01"))
    assert errors["ended_on"] == [TEMPORARY_END]
    assert Organization.objects.count() == before
    response = admin_post(client, node, established_on="2024-06-01", ended_on="2024-09-30")
    assert response.status_code == 302
    assert Organization.objects.get(code="A-T1").parent == tree["community_a"]


def test_admin_moves_a_node_and_keeps_the_tree_consistent(users, tree, admin_client_for):
    client = admin_client_for(users["street"])
    response = admin_post(client, tree["branch_a"], parent=tree["community_b"].pk)
    assert response.status_code == 302
    community_b = Organization.objects.get(code="B")
    assert set(community_b.get_descendants().values_list("code", flat=True)) == {
        "B-01",
        "B-01-B1",
        "A-01",
        "A-01-B1",
    }
    assert Organization.objects.get(code="A").get_descendant_count() == 0


# ---------------------------------------------------------------- through the API


def test_api_rejects_building_group_under_street(users, tree, api):
    before = Organization.objects.count()
    response = api(users["root"]).post(
        LIST,
        {"code": "S-B1", "name": "错挂", "kind": "building_group", "parent": "S"},
        format="json",
    )
    assert response.status_code == 400
    assert any(KIND_MESSAGE in m for m in response.json()["errors"]["parent"])
    assert Organization.objects.count() == before


@pytest.mark.parametrize("new_parent", ["A", "A-01", "A-01-B1"])
def test_api_rejects_node_under_own_descendant(users, tree, api, new_parent):
    response = api(users["street"]).patch(f"{LIST}A/", {"parent": new_parent}, format="json")
    assert response.status_code == 400
    assert DESCENDANT_MESSAGE in response.json()["errors"]["parent"]
    assert Organization.objects.get(code="A").parent.code == "S"


def test_api_rejects_end_before_start(users, tree, api):
    response = api(users["cadre_a"]).patch(
        f"{LIST}A-01/", {"established_on": "2020-01-01", "ended_on": "2019-12-31"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["ended_on"] == [END_BEFORE_START]
    assert Organization.objects.get(code="A-01").ended_on is None


def test_api_rejects_temporary_branch_without_end(users, tree, api):
    before = Organization.objects.count()
    payload = {"code": "A-T1", "name": "临时", "kind": "temporary_branch", "parent": "A"}
    response = api(users["cadre_a"]).post(LIST, payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["ended_on"] == [TEMPORARY_END]
    assert Organization.objects.count() == before


def test_api_rejects_duplicate_code(users, tree, api):
    response = api(users["root"]).post(
        LIST,
        {"code": "A-01", "name": "重复", "kind": "compound_branch", "parent": "A"},
        format="json",
    )
    assert response.status_code == 400
    assert "code" in response.json()["errors"]


def test_api_delete_of_a_node_with_children_is_refused(users, tree, api):
    response = api(users["cadre_a"]).delete(f"{LIST}A-01/")
    assert response.status_code == 400
    assert Organization.objects.filter(code="A-01").exists()


# ---------------------------------------------------------------- services


def test_services_audit_and_check_scope(users, tree):
    from django.core.exceptions import PermissionDenied

    from core.models import AuditLog

    node = organization_create(
        actor=users["cadre_a"],
        code="A-02",
        name="二号院",
        kind="compound_branch",
        parent=tree["community_a"],
    )
    pk = node.pk
    organization_update(actor=users["cadre_a"], organization=node, name="二号院党支部")
    organization_delete(actor=users["cadre_a"], organization=node)
    actions = list(AuditLog.objects.filter(target_id=str(pk)).values_list("action", flat=True))
    assert sorted(actions) == ["organization.create", "organization.delete", "organization.update"]
    with pytest.raises(ValidationError, match="对象不存在"):
        organization_create(
            actor=users["cadre_a"],
            code="B-02",
            name="x",
            kind="compound_branch",
            parent=tree["community_b"],
        )
    with pytest.raises(PermissionDenied):
        organization_update(actor=users["cadre_a"], organization=tree["branch_b"], name="改")
    with pytest.raises(PermissionDenied):
        organization_create(actor=users["street"], code="Z", name="z", kind="district_committee")


# ---------------------------------------------------------------- changing a node's kind

CHILD_KIND_MESSAGE = "下级组织“A-01-B1”是楼栋党小组，不能挂在功能型党支部之下"


def test_kind_change_must_suit_existing_children(tree):
    branch = tree["branch_a"]
    branch.kind = "functional_branch"
    with pytest.raises(ValidationError) as excinfo:
        branch.full_clean()
    assert any(CHILD_KIND_MESSAGE in m for m in excinfo.value.message_dict["kind"])
    tree["branch_b"].name = "只改名"
    tree["branch_b"].full_clean()


def test_api_and_admin_reject_a_kind_change_that_strands_children(
    users, tree, api, admin_client_for
):
    response = api(users["cadre_a"]).patch(
        f"{LIST}A-01/", {"kind": "functional_branch"}, format="json"
    )
    assert response.status_code == 400
    assert any(CHILD_KIND_MESSAGE in m for m in response.json()["errors"]["kind"])
    errors = admin_form_errors(
        admin_post(admin_client_for(users["cadre_a"]), tree["branch_a"], kind="functional_branch")
    )
    assert any(CHILD_KIND_MESSAGE in m for m in errors["kind"])
    assert Organization.objects.get(code="A-01").kind == "compound_branch"


def test_import_rejects_a_kind_change_that_strands_stored_children(users, tree):
    from organizations.importers import OrganizationImporter
    from tests.core.files import csv_bytes

    header = ["组织编码", "名称", "类型", "上级组织编码"]
    rows = [header, ["A-01", "园林社区一号院党支部", "功能型党支部", "A"]]
    result = OrganizationImporter(users["root"]).run(csv_bytes(rows), "t.csv", dry_run=False)
    assert [str(e) for e in result.errors] == [
        "第 2 行 类型: 下级组织“A-01-B1”是楼栋党小组，不能挂在功能型党支部之下。"
    ]
    # Moving the child in the same file makes the change valid.
    rows += [["A-01-B1", "园林社区1号楼党小组", "楼栋党小组", "B-01"]]
    result = OrganizationImporter(users["root"]).run(csv_bytes(rows), "t.csv", dry_run=False)
    assert result.committed, [str(e) for e in result.errors]
    assert Organization.objects.get(code="A-01-B1").parent.code == "B-01"
