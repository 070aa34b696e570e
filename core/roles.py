"""Roles are Django groups with model permissions, created idempotently after every migrate
and by ``manage.py setup_roles``.

Each app may add a ``roles.py`` with ``ROLE_PERMISSIONS = {role: {"app.model": "add change view"}}``
(``"app.*"`` for every model of an app); these extend the defaults below.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings

STREET_ADMIN = "街道管理员"
COMMUNITY_SECRETARY = "社区书记"
COMMUNITY_CADRE = "社区干部"
GRID_WORKER = "网格员"
UNIT_LIAISON = "单位联络员"
DISTRICT_READONLY = "区级只读"
ROLES = [
    STREET_ADMIN,
    COMMUNITY_SECRETARY,
    COMMUNITY_CADRE,
    GRID_WORKER,
    UNIT_LIAISON,
    DISTRICT_READONLY,
]

PROJECT_APPS = [
    "core",
    "organizations",
    "grids",
    "covenants",
    "volunteers",
    "governance",
    "assessment",
    "portal",
]

DEFAULT_ROLE_PERMISSIONS: dict[str, dict[str, str]] = {
    STREET_ADMIN: {f"{app}.*": "add change delete view" for app in PROJECT_APPS}
    | {"core.auditlog": "view", "core.*": "view view_sensitive"},
    COMMUNITY_SECRETARY: {f"{app}.*": "add change delete view" for app in PROJECT_APPS[1:]}
    | {"core.*": "view_sensitive"},
    COMMUNITY_CADRE: {f"{app}.*": "add change view" for app in PROJECT_APPS[1:]},
    # Grid workers keep the roster and cases of their grids; the grid tree itself is the
    # community's to change.
    GRID_WORKER: {
        "organizations.*": "view",
        "grids.*": "view",
        "grids.building": "add change view",
        "grids.household": "add change view",
        "grids.resident": "add change view",
        "grids.case": "add change view",
        "grids.casephoto": "add change view",
        "grids.visitlog": "add change view",
        "volunteers.*": "view",
    },
    UNIT_LIAISON: {"organizations.organization": "view", "covenants.*": "add change view"},
    DISTRICT_READONLY: {f"{app}.*": "view" for app in PROJECT_APPS[1:]},
}

# Verbs that are permission codenames of their own, not per-model actions.
EXPLICIT_ONLY = {"view_sensitive", "export_sensitive"}


def role_permissions() -> dict[str, dict[str, str]]:
    merged = {role: dict(perms) for role, perms in DEFAULT_ROLE_PERMISSIONS.items()}
    for app in settings.PROJECT_APPS:
        if not find_spec(f"{app}.roles"):
            continue
        extra = getattr(import_module(f"{app}.roles"), "ROLE_PERMISSIONS", {})
        for role, perms in extra.items():
            merged.setdefault(role, {}).update(perms)
    return merged


def _codenames_for(target: str, actions: str) -> list[tuple[str, str]]:
    app_label, _, model_name = target.partition(".")
    try:
        app_config = apps.get_app_config(app_label)
    except LookupError:
        return []
    models = (
        list(app_config.get_models())
        if model_name == "*"
        else [m for m in app_config.get_models() if m._meta.model_name == model_name]
    )
    wanted = []
    for model in models:
        for verb in actions.split():
            if verb in EXPLICIT_ONLY:
                wanted.append((app_label, verb))
            elif verb in ("add", "change", "delete", "view"):
                wanted.append((app_label, f"{verb}_{model._meta.model_name}"))
    return wanted


def setup_roles(stdout=None, using: str = "default") -> dict[str, int]:
    from django.contrib.auth.models import Group, Permission

    counts: dict[str, int] = {}
    all_perms = {
        (app_label, codename): pk
        for pk, app_label, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role, targets in role_permissions().items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        ids = set()
        for target, actions in targets.items():
            for key in _codenames_for(target, actions):
                if key in all_perms:
                    ids.add(all_perms[key])
        group.permissions.set(ids)
        counts[role] = len(ids)
        if stdout is not None:
            stdout.write(f"{role}: {len(ids)} 项权限")
    return counts


def setup_roles_after_migrate(sender, app_config=None, using="default", **kwargs) -> None:
    # Run once, for the last app that takes part in migrate (all permissions exist by then).
    last = [c for c in apps.get_app_configs() if c.models_module is not None][-1]
    if app_config is None or app_config.label != last.label:
        return
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    setup_roles(using=using)
