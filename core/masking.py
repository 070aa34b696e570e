"""Masking of personal data (PIPL minimum-necessary rule).

Everything that shows an ID number or a phone goes through these functions; whether the
viewer may see more is decided by ``can_view_sensitive``. Even then values stay masked by
default and are revealed one record at a time with a stated purpose (see core.services).
"""

SENSITIVE_PERMISSION = "core.view_sensitive"


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    value = str(value)
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    value = str(value)
    if len(value) == 11 and value.isdigit():
        return value[:3] + "****" + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return value[: max(len(value) - 8, 2)] + "****" + value[-4:]


def mask_name(value: str | None) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***: for public pages that must not identify anyone."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


def can_view_sensitive(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(SENSITIVE_PERMISSION))


MASK_CHAR = "*"


def looks_masked(value: str) -> bool:
    """A cell that holds a masked value (``110105********123X``, ``138****5678``)."""
    return MASK_CHAR in value


def mask_value(kind: str, value: str | None) -> str:
    return {"id": mask_id_number, "phone": mask_phone, "name": mask_name}[kind](value)


def matches_mask(kind: str, masked: str, stored: str | None) -> bool:
    """Whether ``masked`` is exactly the masked form of ``stored`` (the "keep" rule of files)."""
    return bool(stored) and mask_value(kind, str(stored)) == masked.strip()
