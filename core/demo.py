"""Demo data: each app may provide ``demo.py`` with ``seed(stdout)``; ``seed_demo`` runs them
in INSTALLED_APPS order. Every seed is idempotent (get-or-create by code)."""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

DEMO_PASSWORD = "gongzhi-demo-2026"
DEMO_ADMIN = ("admin", DEMO_PASSWORD)


def demo_modules():
    for app in settings.PROJECT_APPS:
        if app == "core" or not find_spec(f"{app}.demo"):
            continue
        yield app, import_module(f"{app}.demo")


def ensure_user(
    username: str, *, role: str | None = None, scope_codes=(), superuser=False, name=""
):
    from organizations.models import Organization, ScopeAssignment

    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"is_staff": True, "is_superuser": superuser, "first_name": name},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    if role:
        user.groups.add(Group.objects.get(name=role))
    for code in scope_codes:
        ScopeAssignment.objects.get_or_create(
            user=user, organization=Organization.objects.get(code=code)
        )
    return user


@transaction.atomic
def seed_all(stdout) -> None:
    from core.roles import setup_roles

    setup_roles()
    ensure_user(DEMO_ADMIN[0], superuser=True, name="系统管理员")
    for app, module in demo_modules():
        stdout.write(f"演示数据：{app}")
        module.seed(stdout)
