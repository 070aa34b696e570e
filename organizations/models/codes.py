"""Natural codes for records that have no code of their own in the paper forms.

Codes are what files, API URLs and links use (never database ids, never ID numbers, which
must not appear in URLs or logs). A blank code in a file or form gets one of these.
"""

import secrets

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


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
