"""Scope of the organisation tree: a community cadre sees and changes only their community, in
the admin and the API (out of scope looks like missing: 404, never data); the district
read-only role reads everything and writes nothing; superusers see all; tokens carry the scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from organizations.models import Organization
from tests.core.scope_cases import assert_admin_hides, assert_api_hides

CHANGELIST = "admin:organizations_organization_changelist"
LIST = "/api/v1/organizations/"


def codes(response) -> set[str]:
    return {row["code"] for row in response.json()["results"]}


# ---------------------------------------------------------------- admin


def test_admin_changelist_shows_only_own_subtree(users, tree, admin_client_for):
    response = admin_client_for(users["cadre_a"]).get(reverse(CHANGELIST))
    assert response.status_code == 200
    shown = {o.code for o in response.context["cl"].result_list}
    assert shown == {"A", "A-01", "A-01-B1"}
    assert "胜利社区" not in response.content.decode()


def test_admin_search_does_not_reach_other_communities(users, tree, admin_client_for):
    response = admin_client_for(users["cadre_a"]).get(reverse(CHANGELIST), {"q": "胜利"})
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("target", ["community_b", "branch_b", "group_b", "street"])
def test_admin_other_nodes_are_404(users, tree, admin_client_for, target):
    # A marker only this record carries (the site's public pages name the street anyway).
    secret = f"机密地址-{tree[target].code}"
    Organization.objects.filter(pk=tree[target].pk).update(address=secret)
    client = admin_client_for(users["cadre_a"])
    assert_admin_hides(client, tree[target], secret)
    assert Organization.objects.filter(pk=tree[target].pk).exists()


def test_admin_history_of_other_nodes_is_404_even_with_history_rows(users, tree, admin_client_for):
    from organizations.services import organization_update

    organization_update(
        actor=users["root"], organization=tree["branch_b"], address="胜利路秘密 9 号"
    )
    client = admin_client_for(users["cadre_a"])
    response = client.get(
        reverse("admin:organizations_organization_history", args=[tree["branch_b"].pk])
    )
    assert response.status_code == 404
    history_id = tree["branch_b"].history.latest().history_id
    response = client.get(
        reverse(
            "admin:organizations_organization_simple_history",
            args=[tree["branch_b"].pk, history_id],
        )
    )
    assert response.status_code == 404
    assert "胜利路秘密" not in response.content.decode()


def test_admin_parent_choices_and_autocomplete_are_scoped(users, tree, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    response = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "organizations",
            "model_name": "organization",
            "field_name": "parent",
            "term": "",
        },
    )
    assert response.status_code == 200
    names = {r["text"] for r in response.json()["results"]}
    assert names and not any("胜利" in n for n in names)

    before = Organization.objects.count()
    response = client.post(
        reverse("admin:organizations_organization_add"),
        {
            "code": "B-09",
            "name": "越界支部",
            "kind": "compound_branch",
            "parent": tree["community_b"].pk,
        },
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert Organization.objects.count() == before


def test_admin_cadre_changes_own_node(users, tree, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    node = tree["branch_a"]
    response = client.post(
        reverse("admin:organizations_organization_change", args=[node.pk]),
        {
            "code": node.code,
            "name": "园林一号院党支部（新）",
            "kind": node.kind,
            "parent": node.parent_id,
        },
    )
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    node.refresh_from_db()
    assert node.name == "园林一号院党支部（新）"


def test_admin_export_is_scoped(users, tree, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    response = client.get(reverse("admin:organizations_organization_export"), {"format": "csv"})
    text = response.content.decode("utf-8-sig")
    assert "园林社区" in text and "胜利" not in text


def test_admin_district_readonly_reads_but_cannot_write(users, tree, admin_client_for):
    client = admin_client_for(users["district"])
    response = client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == Organization.objects.count()
    node = tree["branch_b"]
    url = reverse("admin:organizations_organization_change", args=[node.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"code": node.code, "name": "改", "kind": node.kind, "parent": node.parent_id}
    )
    assert response.status_code == 403
    assert (
        client.post(
            reverse("admin:organizations_organization_delete", args=[node.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:organizations_organization_add")).status_code == 403
    node.refresh_from_db()
    assert node.name == "胜利社区一号院党支部"


def test_admin_superuser_sees_all(users, tree, admin_client_for):
    response = admin_client_for(users["root"]).get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == Organization.objects.count()


# ---------------------------------------------------------------- API


def test_api_list_is_scoped(users, tree, api):
    assert codes(api(users["cadre_a"]).get(LIST)) == {"A", "A-01", "A-01-B1"}
    assert codes(api(users["cadre_b"]).get(LIST)) == {"B", "B-01", "B-01-B1"}
    assert codes(api(users["street"]).get(LIST)) == {
        "S",
        "A",
        "A-01",
        "A-01-B1",
        "B",
        "B-01",
        "B-01-B1",
    }
    everything = set(Organization.objects.values_list("code", flat=True))
    assert codes(api(users["district"]).get(LIST)) == everything
    assert codes(api(users["root"]).get(LIST)) == everything


def test_api_filters_cannot_reach_outside_scope(users, tree, api):
    client = api(users["cadre_a"])
    assert codes(client.get(LIST, {"subtree_of": "B"})) == set()
    assert codes(client.get(LIST, {"subtree_of": "S"})) == {"A", "A-01", "A-01-B1"}
    assert codes(client.get(LIST, {"q": "胜利"})) == set()
    response = client.get(LIST + "export/", {"file_format": "csv", "subtree_of": "B"})
    assert "胜利" not in response.content.decode("utf-8-sig")


@pytest.mark.parametrize("target", ["B", "B-01", "B-01-B1", "S", "D"])
def test_api_other_nodes_are_404(users, tree, api, target):
    node = Organization.objects.get(code=target)
    assert_api_hides(
        api(users["cadre_a"]),
        f"{LIST}{target}/",
        node.name,
        {"code": target, "name": "改", "kind": node.kind},
    )
    assert Organization.objects.get(code=target).name == node.name


def test_api_cannot_create_under_another_community(users, tree, api):
    before = Organization.objects.count()
    response = api(users["cadre_a"]).post(
        LIST,
        {"code": "B-09", "name": "越界", "kind": "compound_branch", "parent": "B"},
        format="json",
    )
    # An out-of-scope parent reads like an unknown one: no confirmation that "B" exists.
    assert response.status_code == 400
    assert "parent" in response.json()["errors"]
    unknown = api(users["cadre_a"]).post(
        LIST,
        {"code": "B-09", "name": "越界", "kind": "compound_branch", "parent": "NOPE"},
        format="json",
    )
    same = [m.replace("NOPE", "B") for m in unknown.json()["errors"]["parent"]]
    assert same == response.json()["errors"]["parent"]
    assert Organization.objects.count() == before


def test_api_cannot_move_own_node_out_of_scope(users, tree, api):
    response = api(users["cadre_a"]).patch(f"{LIST}A-01/", {"parent": "B"}, format="json")
    assert response.status_code == 400
    assert Organization.objects.get(code="A-01").parent.code == "A"


def test_api_cadre_writes_in_own_subtree(users, tree, api):
    client = api(users["cadre_a"])
    response = client.post(
        LIST,
        {"code": "A-02", "name": "园林二号院党支部", "kind": "compound_branch", "parent": "A"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["parent"] == "A"
    response = client.patch(f"{LIST}A-02/", {"address": "园林路 2 号"}, format="json")
    assert response.status_code == 200
    assert client.delete(f"{LIST}A-02/").status_code == 204
    assert not Organization.objects.filter(code="A-02").exists()


def test_api_district_readonly_reads_but_cannot_write(users, tree, api):
    client = api(users["district"])
    assert client.get(f"{LIST}B-01/").status_code == 200
    before = Organization.objects.count()
    for method, url, data in (
        ("post", LIST, {"code": "B-02", "name": "x", "kind": "compound_branch", "parent": "B"}),
        ("patch", f"{LIST}B-01/", {"name": "改"}),
        (
            "put",
            f"{LIST}B-01/",
            {"code": "B-01", "name": "改", "kind": "compound_branch", "parent": "B"},
        ),
        ("delete", f"{LIST}B-01-B1/", None),
    ):
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == 403, (method, url)
        assert response.json()["status"] == 403
    assert Organization.objects.count() == before
    assert Organization.objects.get(code="B-01").name == "胜利社区一号院党支部"


def test_api_grid_worker_reads_own_community_only(users, tree, api):
    client = api(users["grid_a"])
    assert codes(client.get(LIST)) == {"A", "A-01", "A-01-B1"}
    assert client.patch(f"{LIST}A-01/", {"name": "改"}, format="json").status_code == 403


def test_api_anonymous_is_401_with_standard_body(tree, api):
    response = api().get(LIST)
    assert response.status_code == 401
    assert response.json()["status"] == 401 and response.json()["detail"]


def test_api_validation_errors_have_field_errors(users, tree, api):
    response = api(users["root"]).post(LIST, {"code": "", "kind": "nonsense"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and {"code", "name", "kind"} <= set(body["errors"])


# ---------------------------------------------------------------- tokens


def test_token_auth_carries_the_users_scope(users, tree, client):
    response = client.post(
        "/api/v1/auth/token/", {"username": "cadre_a", "password": "pw-for-tests-123"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    from rest_framework.test import APIClient

    integrator = APIClient()
    integrator.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert codes(integrator.get(LIST)) == {"A", "A-01", "A-01-B1"}
    assert integrator.get(f"{LIST}B/").status_code == 404

    integrator.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert integrator.get(LIST).status_code == 401


def test_token_with_a_wrong_password_is_refused(users, client):
    response = client.post("/api/v1/auth/token/", {"username": "cadre_a", "password": "wrong"})
    assert response.status_code == 400
    assert "token" not in response.json()
