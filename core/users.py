"""How a user is shown: a resident's username is their mobile number, so every display of a
user (``str(user)``, admin columns and history, audit rows, API user fields) masks a
phone-like username (138****5678). The full value is revealed one user at a time, to holders
of ``core.view_sensitive``, with a purpose, and logged in ``SensitiveAccessLog`` like a
member's phone."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction

from core.masking import can_view_sensitive, mask_phone
from core.models import SensitiveAccessLog

# Mainland mobile numbers, with or without +86/0086, spaces or dashes; also landlines
# written as digits only (7+ digits): anything that would identify a person by number.
_PHONE_LIKE = re.compile(r"^(\+?86|0086)?[\s-]*1\d{2}[\s-]?\d{4}[\s-]?\d{4}$|^\d{7,}$")


def is_phone_like(value: str | None) -> bool:
    return bool(value) and bool(_PHONE_LIKE.match(str(value).strip()))


def mask_username(value: str | None) -> str:
    """A phone-like username masked; any other username as it is (staff logins)."""
    if not value:
        return ""
    value = str(value)
    if not is_phone_like(value):
        return value
    digits = re.sub(r"\D", "", value)
    return mask_phone(digits[-11:] if len(digits) >= 11 else digits)


def user_display(user) -> str:
    """``str(user)`` for every user: the (masked) username; installed by CoreConfig.ready."""
    return mask_username(user.get_username())


def user_full_name_or_display(user) -> str:
    """Full name when there is one, else the masked username (for "who did it" labels)."""
    return (user.get_full_name() or "").strip() or user_display(user)


def install_user_display() -> None:
    User = get_user_model()
    User.__str__ = user_display


@transaction.atomic
def user_reveal(*, actor, user, purpose: str) -> dict[str, str]:
    """The unmasked username of one user, for a holder of ``core.view_sensitive``; logged."""
    from core.sensitive import _clean_purpose

    if not can_view_sensitive(actor):
        raise PermissionDenied("您没有查看完整个人信息的权限。")
    purpose = _clean_purpose(purpose)
    SensitiveAccessLog.objects.create(
        actor=actor,
        kind=SensitiveAccessLog.Kind.REVEAL,
        target_type=user._meta.label_lower,
        target_id=str(user.pk),
        target_repr=user_display(user)[:200],
        fields="username",
        purpose=purpose,
    )
    return {"username": user.get_username()}
