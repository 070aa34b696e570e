"""seed_demo refuses production unless told twice, and never leaves a published password there."""

from __future__ import annotations

import io
import re
from importlib import import_module

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from core.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def only_the_accounts(monkeypatch):
    """The organisation tree's demo creates the scoped accounts; the other apps' data would only
    slow these tests down."""
    monkeypatch.setattr(
        "core.demo.demo_modules",
        lambda: iter([("organizations", import_module("organizations.demo"))]),
    )


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_production_refuses_without_the_flag(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="--i-know-this-is-production"):
        seed()
    assert not get_user_model().objects.exists()


def test_production_with_the_flag_uses_a_generated_password_it_prints(settings):
    settings.PRODUCTION = True
    User = get_user_model()
    # An account left from an earlier demo with the published password is not kept on it.
    street = User.objects.create_user("street", password=DEMO_PASSWORD, is_staff=True)
    # One whose password was changed keeps it.
    district = User.objects.create_user(
        "district", password="changed-by-its-owner-1", is_staff=True
    )

    output = seed(i_know_this_is_production=True)

    assert DEMO_PASSWORD not in output
    password = re.search(r"admin / (\S+)（系统管理员）", output).group(1)
    for user in User.objects.filter(username__in=["admin", "street", "yuanlin", "shengli"]):
        assert user.check_password(password), user.username
        assert not user.check_password(DEMO_PASSWORD), user.username
    street.refresh_from_db()
    assert street.check_password(password)
    district.refresh_from_db()
    assert district.check_password("changed-by-its-owner-1")
    # A second run generates a different password and leaves the accounts as they are.
    second = seed(i_know_this_is_production=True)
    assert re.search(r"admin / (\S+)（系统管理员）", second).group(1) != password
    assert User.objects.get(username="admin").check_password(password)


def test_development_uses_the_published_demo_password(settings):
    settings.PRODUCTION = False
    output = seed()
    assert f"admin / {DEMO_PASSWORD}" in output
    assert get_user_model().objects.get(username="admin").check_password(DEMO_PASSWORD)
