"""Natural codes for records that have no code of their own in the paper forms.

Codes are what files, API URLs and links use (never database ids, never ID numbers, which
must not appear in URLs or logs). A blank code in a file or form gets one of these.
"""

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.scope import scope_anchor

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


# The random codes below are no longer given to new records (``ReadableCode`` is); they stay
# because migrations name them as the fields' former defaults.


def _token(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def member_code() -> str:
    return _token("DY")


def registration_code() -> str:
    return _token("BD")


def post_code() -> str:
    return _token("GW")


def claim_code() -> str:
    return _token("RL")


def activity_code() -> str:
    return _token("HD")


def appraisal_code() -> str:
    return _token("PY")


def seat_code() -> str:
    return _token("WY")


def appointment_code() -> str:
    return _token("ZS")


def cadre_code() -> str:
    return _token("XC")


def body_code() -> str:
    return _token("ZT")


def disclosure_code() -> str:
    return _token("GK")


# ---------------------------------------------------------------- readable codes

PREFIXES = {
    "member": "DY",
    "communityregistration": "BD",
    "post": "GW",
    "postclaim": "RL",
    "memberactivity": "HD",
    "appraisal": "PY",
    "committeeseat": "WY",
    "standingappointment": "ZS",
    "sentdowncadre": "XC",
    "body": "ZT",
    "financialdisclosure": "GK",
    "officer": "ZW",
}
"""The record kind's letters in a readable code (the same letters as the random defaults)."""


def community_prefix(organization) -> str:
    """The community's short letters, e.g. ``YL`` for ``TD-ZQ-YL`` (园林社区): the last part of
    the code of the community that ``organization`` lies in (or of ``organization`` itself
    above community level)."""
    from organizations.choices import OrgKind
    from organizations.models.organization import Organization

    if organization is None:
        return "X"
    if organization.kind != OrgKind.COMMUNITY_COMMITTEE:
        community = (
            Organization.objects.filter(
                tree_id=organization.tree_id,
                lft__lte=organization.lft,
                rght__gte=organization.rght,
                kind=OrgKind.COMMUNITY_COMMITTEE,
            )
            .values_list("code", flat=True)
            .first()
        )
    else:
        community = organization.code
    return (community or organization.code).rsplit("-", 1)[-1]


def readable_codes(model, organization, count: int) -> list[str]:
    """``count`` fresh codes ``<kind>-<community>-<number>`` (e.g. ``DY-YL-0607``), numbered
    after the highest one in use. The one place new records get a code when none is given
    (file imports, forms, the API); unique codes still guard concurrent writers."""
    head = f"{PREFIXES[model._meta.model_name]}-{community_prefix(organization)}-"
    highest = 0
    for code in model._default_manager.filter(code__startswith=head).values_list("code", flat=True):
        tail = code[len(head) :]
        if tail.isdigit():
            highest = max(highest, int(tail))
    return [f"{head}{number:04d}" for number in range(highest + 1, highest + 1 + count)]


READABLE_CODE_ATTEMPTS = 20
CODE_HELP = "留空由系统按所在社区生成（如 DY-YL-0607）。"


class ReadableCode:
    """For models in ``PREFIXES``: a record saved without a code gets the next readable one
    (``readable_codes``) — the same rule as the file imports, for the admin, the API, the
    services and any other ``save()``. Two writers that read the same highest number race
    for the same code: the unique index lets one insert it, the other's insert fails inside
    its savepoint, and it takes the next number (up to ``READABLE_CODE_ATTEMPTS`` tries).
    An existing record's code may not be cleared."""

    def clean_fields(self, exclude=None):
        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if not self._state.adding and not self.code and "code" not in (exclude or ()):
            errors.setdefault("code", []).append("已有记录的编号不能清空。")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if not (self._state.adding and not self.code):
            return super().save(*args, **kwargs)
        model = type(self)
        anchor = scope_anchor(self)
        for _attempt in range(READABLE_CODE_ATTEMPTS):
            self.code = readable_codes(model, anchor, 1)[0]
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except IntegrityError:
                # Another writer took this number first (committed since we read): next one.
                # Anything else (another constraint) is the caller's error.
                if not model._default_manager.filter(code=self.code).exists():
                    self.code = ""
                    raise
        self.code = ""
        raise IntegrityError(f"{model._meta.verbose_name}编号生成冲突，请重试。")
