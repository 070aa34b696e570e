"""No N+1 on the tree: the API list (also ?subtree_of=) and the admin changelist keep the same
number of queries whatever the page size or the number of rows; bulk loads keep the
nested-set fields right."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.models import Organization
from organizations.services import lock_tree
from organizations.tree import load_nodes, rebuild_tree_fields

# auth-free APIClient (force_authenticate): the permissions and the scope ranges (one
# statement, core.authz), the subtree root, the page count, the page rows.
SUBTREE_LIST_QUERIES = 4


@pytest.fixture
def big_tree(tree):
    """250 building groups under each of the two compound branches."""
    new, parents = [], {}
    for community in ("A", "B"):
        for i in range(250):
            code = f"{community}-01-G{i:03d}"
            new.append(Organization(code=code, name=f"{code} 党小组", kind="building_group"))
            parents[code] = f"{community}-01"
    lock_tree()
    load_nodes(new, [], parents, update_fields=[])
    return tree


@pytest.mark.parametrize("page_size", [10, 200])
def test_subtree_list_query_count_does_not_depend_on_page_size(
    users, big_tree, api, django_assert_num_queries, page_size
):
    client = api(users["street"])
    with django_assert_num_queries(SUBTREE_LIST_QUERIES):
        response = client.get("/api/v1/organizations/", {"subtree_of": "S", "page_size": page_size})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 7 + 500
    assert len(body["results"]) == page_size
    assert all(row["parent"] for row in body["results"])


def test_page_size_is_capped(users, big_tree, api):
    response = api(users["root"]).get("/api/v1/organizations/", {"page_size": 5000})
    assert len(response.json()["results"]) == 200


def test_subtree_is_in_tree_order_and_scoped(users, big_tree, api):
    response = api(users["cadre_a"]).get(
        "/api/v1/organizations/", {"subtree_of": "S", "page_size": 200}
    )
    codes = [row["code"] for row in response.json()["results"]]
    assert codes[:3] == ["A", "A-01", "A-01-B1"]
    assert not any(c.startswith("B") for c in codes)
    assert response.json()["count"] == 3 + 250


def test_filters_kind_parent_ancestor(users, big_tree, api):
    client = api(users["root"])
    get = lambda **p: {r["code"] for r in client.get("/api/v1/organizations/", p).json()["results"]}  # noqa: E731
    assert get(kind="community_committee") == {"A", "B"}
    assert get(parent="S") == {"A", "B"}
    assert get(ancestor="A-01", page_size=200) == {"A-01-B1"} | {
        f"A-01-G{i:03d}" for i in range(199)
    }
    assert get(subtree_of="NOPE") == set()


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:organizations_organization_changelist"))
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["cl"].result_list)


def test_admin_changelist_query_count_is_constant(users, tree, admin_client_for):
    client = admin_client_for(users["street"])
    small, shown_small = _changelist_queries(client)
    new, parents = [], {}
    for i in range(300):
        code = f"A-01-G{i:03d}"
        new.append(Organization(code=code, name=code, kind="building_group"))
        parents[code] = "A-01"
    lock_tree()
    load_nodes(new, [], parents, update_fields=[])
    large, shown_large = _changelist_queries(client)
    assert shown_small == 7 and shown_large == 100
    assert large == small


def test_load_nodes_matches_mptt_rebuild(tree):
    new, parents = [], {}
    for i in range(5):
        code = f"A-0{i + 2}"
        new.append(Organization(code=code, name=code, kind="compound_branch"))
        parents[code] = "A"
        for j in range(3):
            child = f"{code}-B{j}"
            new.append(Organization(code=child, name=child, kind="building_group"))
            parents[child] = code
    lock_tree()
    load_nodes(list(reversed(new)), [], parents, update_fields=[])
    ours = list(
        Organization.objects.order_by("pk").values_list("pk", "tree_id", "lft", "rght", "level")
    )
    Organization.objects.rebuild()
    theirs = list(
        Organization.objects.order_by("pk").values_list("pk", "tree_id", "lft", "rght", "level")
    )
    assert ours == theirs
    assert rebuild_tree_fields() == 0
