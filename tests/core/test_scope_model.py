"""core.scope finds the scope-assignment model through settings.SCOPE_ASSIGNMENT_MODEL."""

import pytest
from django.test import override_settings

from core.scope import forget_scope, scope_assignment_model, scope_ranges
from organizations.models import Organization, ScopeAssignment

pytestmark = pytest.mark.django_db


def test_setting_names_the_organizations_model():
    assert scope_assignment_model() is ScopeAssignment


def test_scope_is_read_from_the_named_model(django_user_model):
    node = Organization.objects.create(code="S1", name="测试街道", kind="street_committee")
    user = django_user_model.objects.create_user("staff", is_staff=True)
    assert scope_ranges(user) == []
    forget_scope(user)
    ScopeAssignment.objects.create(user=user, organization=node)
    node.refresh_from_db()
    assert scope_ranges(user) == [(node.tree_id, node.lft, node.rght)]


def test_a_wrong_setting_fails_loudly(django_user_model):
    user = django_user_model.objects.create_user("staff2", is_staff=True)
    with override_settings(SCOPE_ASSIGNMENT_MODEL="organizations.NoSuchModel"):
        with pytest.raises(LookupError):
            scope_ranges(user)
