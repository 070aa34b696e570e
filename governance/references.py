"""Generic references (task source and assignee) limited to an allowed set of models.

The set names models of apps built in parallel (grids, volunteers …); only the ones installed
at runtime are offered, so there is no foreign key or migration dependency on those apps.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models

ASSIGNEE_MODELS = (
    "organizations.organization",
    "grids.grid",
    "covenants.partnerunit",
    "volunteers.team",
    "auth.user",
    # 社区吹哨、党员报到: a member's 双报到 registration to the dispatching community, a cadre
    # sent down to it. They act through their desk account (grids.DeskAccount).
    "organizations.communityregistration",
    "organizations.sentdowncadre",
)
# Assignees that are one person: only that person accepts, reports and completes.
PERSON_ASSIGNEES = (
    "auth.user",
    "organizations.communityregistration",
    "organizations.sentdowncadre",
)
# Assignees whose completion credits service hours to a 双报到 activity record.
HOURS_ASSIGNEES = ("organizations.communityregistration", "organizations.sentdowncadre")
SOURCE_MODELS = ("governance.resolution", "grids.case", "assessment.admissionrequest")

# Short names used in the API and files: {"type": "organization", "code": "TD-ZQ-YL"}.
TYPE_NAMES = {
    "organizations.organization": "organization",
    "grids.grid": "grid",
    "covenants.partnerunit": "unit",
    "volunteers.team": "team",
    "auth.user": "user",
    "organizations.communityregistration": "registration",
    "organizations.sentdowncadre": "cadre",
    "governance.resolution": "resolution",
    "grids.case": "case",
    "assessment.admissionrequest": "admission_request",
}


def available(labels: tuple[str, ...]) -> dict[str, type[models.Model]]:
    found = {}
    for label in labels:
        app_label, _, model_name = label.partition(".")
        try:
            found[label] = apps.get_model(app_label, model_name)
        except LookupError:
            continue
    return found


def content_type_ids(labels: tuple[str, ...]) -> list[int]:
    return [ContentType.objects.get_for_model(m).pk for m in available(labels).values()]


def check_allowed(obj: models.Model | None, labels: tuple[str, ...], field: str) -> None:
    if obj is None:
        return
    if obj._meta.label_lower not in available(labels):
        names = "、".join(str(m._meta.verbose_name) for m in available(labels).values())
        raise ValidationError({field: f"不能选择“{obj._meta.verbose_name}”，只能是：{names}。"})


# The field that names a record outside the database, where it is not ``code``.
KEY_FIELDS = {"auth.user": "username", "grids.case": "tracking_code"}


def key_field(model: type[models.Model]) -> str:
    return KEY_FIELDS.get(model._meta.label_lower, "code")


def natural_key(obj: models.Model) -> str:
    """The code (username, tracking code) that names ``obj`` outside the database."""
    return str(getattr(obj, key_field(type(obj)), obj.pk))


def _model_named(type_name: str, labels: tuple[str, ...]) -> type[models.Model]:
    by_name = {TYPE_NAMES[label]: model for label, model in available(labels).items()}
    model = by_name.get(type_name)
    if model is None:
        raise ValidationError(f"类型“{type_name}”不可用，可选：{'、'.join(sorted(by_name))}。")
    return model


def _get(queryset: models.QuerySet, key: str) -> models.Model:
    model = queryset.model
    try:
        return queryset.get(**{key_field(model): key})
    except (model.DoesNotExist, ValueError):
        raise ValidationError(f"找不到{model._meta.verbose_name}“{key}”。") from None


def resolve(type_name: str, key: str, labels: tuple[str, ...]) -> models.Model:
    """Look up ``{"type": …, "code": …}`` among the allowed, installed models."""
    model = _model_named(type_name, labels)
    return _get(model._default_manager.all(), key)


def resolve_visible(user, type_name: str, key: str, labels: tuple[str, ...]) -> models.Model:
    """``resolve`` limited to what ``user`` may link to (``core.links``, users included):
    out of scope gives the very message of an unknown key."""
    from core.links import LinkScope, linkable_targets

    model = _model_named(type_name, labels)
    return _get(linkable_targets(user, model, LinkScope.IN_SCOPE), key)


def anchor_organization(obj: models.Model):
    """The Organization that places ``obj`` in the tree (for scope checks)."""
    from core.scope import scope_anchor
    from organizations.models import Organization, ScopeAssignment

    if isinstance(obj, Organization):
        return obj
    if obj._meta.label_lower == "auth.user":
        assignment = (
            ScopeAssignment.objects.filter(user=obj)
            .select_related("organization")
            .order_by("-organization__level")
            .first()
        )
        return assignment.organization if assignment else None
    if hasattr(type(obj), "scope_path"):
        return scope_anchor(obj)
    return None


def desk_person(user) -> tuple[str, int] | None:
    """The registered member or sent-down cadre a login acts for (its ``grids.DeskAccount``),
    as ``(model label, id)``; None for anyone else or when grids is not installed."""
    if not apps.is_installed("grids"):
        return None
    from grids.models.cases import desk_account_of

    account = desk_account_of(user)
    if account is None:
        return None
    if account.registration_id:
        return ("organizations.communityregistration", account.registration_id)
    if account.cadre_id:
        return ("organizations.sentdowncadre", account.cadre_id)
    return None
