"""Validators for Chinese identifiers: ID numbers (GB 11643), phones, credit codes (GB 32100)."""

import operator
import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def id_number_check_char(first17: str) -> str:
    if len(first17) != len(_ID_WEIGHTS):
        raise ValueError("the check character needs the first 17 characters")
    # map/mul in C: this runs for every ID number of every import.
    total = sum(map(operator.mul, map(int, first17), _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def normalize_width(value: str) -> str:
    """Full-width digits, letters and punctuation (typed with a Chinese input method, e.g.
    "２１０３０２…", "ＤＹ－０１") as their ASCII forms (NFKC), so they validate and match."""
    return unicodedata.normalize("NFKC", value) if not value.isascii() else value


def normalize_id_number(value: str) -> str:
    return normalize_width(value or "").strip().upper()


def birth_date_from_id(value: str) -> date | None:
    value = normalize_id_number(value)
    if not _ID_RE.match(value):
        return None
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def validate_id_number(value: str) -> None:
    """A GB 11643 citizen ID number: 18 characters, a real birth date, the right check digit."""
    value = normalize_id_number(value)
    if not _ID_RE.match(value):
        raise ValidationError(
            "身份证号应为 18 位，前 17 位为数字，末位为数字或 X。", code="id_format"
        )
    try:  # birth_date_from_id of the number just normalised and matched, without doing both again
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        born = None
    if born is None or born > date.today() or born.year < 1900:
        raise ValidationError("身份证号中的出生日期无效。", code="id_birth_date")
    if id_number_check_char(value[:17]) != value[17]:
        raise ValidationError("身份证号校验位不正确。", code="id_checksum")


_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalize_phone(value: str) -> str:
    if value and value.isascii() and value.isdigit():
        return value  # nothing to strip, replace or remove (the common case in a file)
    value = re.sub(r"[\s()（）]", "", normalize_width(value or "").strip())
    if value.startswith("+86"):
        value = value[3:]
    return value


def is_mobile(value: str) -> bool:
    return bool(_MOBILE_RE.match(normalize_phone(value)))


def validate_phone(value: str) -> None:
    """A mainland mobile (13812345678) or landline (0412-1234567) number."""
    value = normalize_phone(value)
    if not (_MOBILE_RE.match(value) or _LANDLINE_RE.match(value)):
        raise ValidationError(
            "电话号码格式不正确，应为 11 位手机号或带区号的固定电话（如 0412-1234567）。",
            code="phone",
        )


def validate_mobile(value: str) -> None:
    if not is_mobile(value):
        raise ValidationError("手机号格式不正确，应为 11 位大陆手机号。", code="mobile")


_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def credit_code_check_char(first17: str) -> str:
    total = sum(
        _CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """A GB 32100 unified social credit code: 18 characters with its check character."""
    value = (value or "").strip().upper()
    if not _CREDIT_RE.match(value):
        raise ValidationError(
            "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、Z、S、V）。", code="credit_format"
        )
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValidationError("统一社会信用代码校验位不正确。", code="credit_checksum")


_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def validate_code(value: str) -> None:
    if not _CODE_RE.match(value or ""):
        raise ValidationError(
            "编码只能包含字母、数字、点、下划线和短横线，且不超过 64 位。", code="code"
        )
