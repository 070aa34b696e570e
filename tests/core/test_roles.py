"""Roles are groups created after every migrate and by ``manage.py setup_roles``, idempotently."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from core.roles import (
    COMMUNITY_CADRE,
    COMMUNITY_SECRETARY,
    DISTRICT_READONLY,
    GRID_WORKER,
    ROLES,
    STREET_ADMIN,
    UNIT_LIAISON,
    setup_roles,
)


def perms(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{app}.{code}"
        for app, code in group.permissions.values_list("content_type__app_label", "codename")
    }


@pytest.mark.django_db
def test_migrate_created_the_roles():
    # No fixture called setup_roles: the test database was built by migrate (post_migrate).
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)
    assert "organizations.view_organization" in perms(DISTRICT_READONLY)


@pytest.mark.django_db
def test_setup_roles_is_idempotent_and_restores_defaults():
    first = setup_roles()
    group = Group.objects.get(name=COMMUNITY_CADRE)
    group.permissions.clear()
    out = StringIO()
    call_command("setup_roles", stdout=out)
    assert setup_roles() == first
    assert Group.objects.filter(name__in=ROLES).count() == len(ROLES)
    assert "organizations.add_organization" in perms(COMMUNITY_CADRE)
    assert f"{COMMUNITY_CADRE}:" in out.getvalue()


@pytest.mark.django_db
def test_role_permissions_match_the_design(roles):
    district = perms(DISTRICT_READONLY)
    assert district and all(p.split(".")[1].startswith("view_") for p in district)
    assert "organizations.delete_organization" in perms(STREET_ADMIN)
    assert "organizations.delete_organization" in perms(COMMUNITY_SECRETARY)
    assert "organizations.delete_organization" not in perms(COMMUNITY_CADRE)
    assert "organizations.change_organization" not in perms(GRID_WORKER)
    assert "organizations.view_organization" in perms(UNIT_LIAISON)
    assert "organizations.change_organization" not in perms(UNIT_LIAISON)
    # Personal data: only roles that need it may ask to reveal; nobody exports it by default.
    assert "core.view_sensitive" in perms(COMMUNITY_SECRETARY)
    assert "core.view_sensitive" not in perms(COMMUNITY_CADRE)
    assert not any("export_sensitive" in p for role in ROLES for p in perms(role))


@pytest.mark.django_db(transaction=True)
def test_roles_survive_a_flush_and_migrate_cycle():
    # A flush (as in transactional tests or a reset) re-emits post_migrate: roles come back.
    call_command("flush", "--noinput", verbosity=0)
    assert Group.objects.filter(name__in=ROLES).count() == len(ROLES)
