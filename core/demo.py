"""Demo data: each app may provide ``demo.py`` with ``seed(stdout)``; ``seed_demo`` runs them
in INSTALLED_APPS order. Every seed is idempotent (get-or-create by code)."""

from contextvars import ContextVar
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

DEMO_PASSWORD = "gongzhi-demo-2026"
DEMO_ADMIN = ("admin", DEMO_PASSWORD)
# The password seed_all gives the accounts it creates: the published one for demos, a generated
# one in production (seed_demo --i-know-this-is-production).
_password: ContextVar[str] = ContextVar("demo_password", default=DEMO_PASSWORD)


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
    password = _password.get()
    if created or (password != DEMO_PASSWORD and user.check_password(DEMO_PASSWORD)):
        user.set_password(password)
        user.save()
    if role:
        user.groups.add(Group.objects.get(name=role))
    for code in scope_codes:
        ScopeAssignment.objects.get_or_create(
            user=user, organization=Organization.objects.get(code=code)
        )
    return user


@transaction.atomic
def seed_all(stdout, *, password: str = DEMO_PASSWORD) -> None:
    """Seed every app's demo data. Accounts are created with ``password``; with any other than
    the published one, existing demo accounts that still have the published one get it too."""
    from core.roles import setup_roles

    token = _password.set(password)
    try:
        setup_roles()
        ensure_user(DEMO_ADMIN[0], superuser=True, name="系统管理员")
        for app, module in demo_modules():
            stdout.write(f"演示数据：{app}")
            module.seed(stdout)
    finally:
        _password.reset(token)
