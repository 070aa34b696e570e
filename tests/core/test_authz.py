"""The permission set and scope read in one statement per request (core.authz): the same
answers as Django's ModelBackend and the ORM, and every role, permission or scope change
takes effect on the very next request (nothing is kept across requests)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core import authz
from core.roles import COMMUNITY_CADRE, STREET_ADMIN
from core.scope import scope_ranges
from core.tokens import token_issue
from organizations.models import ScopeAssignment
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def django_permissions(user) -> set[str]:
    user = fresh(user)
    backend = ModelBackend()
    return backend.get_user_permissions(user) | backend.get_group_permissions(user)


def orm_scope(user) -> list[tuple[int, int, int]]:
    rows = ScopeAssignment.objects.filter(user=user).values_list(
        "organization__tree_id", "organization__lft", "organization__rght"
    )
    return authz.nested_ranges_dropped(rows)


def test_same_answers_as_django_and_the_orm(users, tree):
    # One user with group and direct permissions and a nested, a sibling and a second-tree scope.
    mixed = make_user(
        "mixed",
        role=COMMUNITY_CADRE,
        scope=[tree["community_a"], tree["branch_a"], tree["community_b"]],
        perms=["core.view_sensitive", "grids.view_case"],
    )
    for user in [*users.values(), mixed]:
        if user.is_superuser:
            continue
        loaded = fresh(user)
        authz.load(loaded)
        assert loaded._perm_cache == django_permissions(user), user
        assert scope_ranges(loaded) == orm_scope(user), user
    loaded = fresh(mixed)
    authz.load(loaded)
    assert len(scope_ranges(loaded)) == 2  # branch_a lies inside community_a


def test_one_statement_answers_both(users):
    user = fresh(users["cadre_a"])
    with CaptureQueriesContext(connection) as queries:
        authz.ensure(user)  # as every API view's permission check does first
        assert user.has_perm("organizations.view_member")
        assert not user.has_perm("core.view_auditlog")
        scope_ranges(user)
    assert len(queries) == 1


def test_inactive_anonymous_and_superuser_are_not_loaded(users):
    root = fresh(users["root"])
    authz.ensure(root)
    assert not hasattr(root, authz.PERM_CACHE)
    assert root.has_perm("organizations.delete_member")
    assert scope_ranges(root) is None
    street = fresh(users["street"])
    street.is_active = False
    authz.ensure(street)
    assert not street.has_perm("organizations.view_member")
    assert scope_ranges(street) == []


@pytest.fixture
def token_client(users):
    def make(user):
        _, key = token_issue(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


def codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


def test_a_role_change_takes_effect_at_once(users, token_client):
    user = users["street"]
    client = token_client(user)
    assert client.get("/api/v1/organizations/").status_code == 200
    user.groups.clear()
    assert client.get("/api/v1/organizations/").status_code == 403
    user.groups.add(Group.objects.get(name=STREET_ADMIN))
    assert client.get("/api/v1/organizations/").status_code == 200


def test_a_group_permission_change_takes_effect_at_once(users, token_client):
    client = token_client(users["street"])
    group = Group.objects.get(name=STREET_ADMIN)
    view = Permission.objects.get(
        content_type__app_label="organizations", codename="view_organization"
    )
    group.permissions.remove(view)
    assert client.get("/api/v1/organizations/").status_code == 403
    group.permissions.add(view)
    assert client.get("/api/v1/organizations/").status_code == 200


def test_a_scope_change_takes_effect_at_once(users, tree, token_client):
    user = users["street"]
    client = token_client(user)
    assert {"A", "B"} <= codes(client.get("/api/v1/organizations/"))
    assignment = ScopeAssignment.objects.get(user=user)
    assignment.organization = tree["community_a"]
    assignment.save()
    seen = codes(client.get("/api/v1/organizations/"))
    assert "A" in seen and "B" not in seen and "S" not in seen
    assignment.delete()
    assert codes(client.get("/api/v1/organizations/")) == set()


def test_a_session_user_is_answered_the_same(users, tree, client):
    user = users["cadre_a"]
    client.force_login(user)
    seen = codes(client.get("/api/v1/organizations/"))
    assert "A" in seen and "B" not in seen
    user.groups.clear()
    assert client.get("/api/v1/organizations/").status_code == 403
