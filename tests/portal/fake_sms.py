"""A fake SMS gateway for the portal tests: records each message; ``failures`` are raised
first (SmsRateLimited, SmsUnavailable…); honours ``client_ref`` like a real gateway would."""

from __future__ import annotations

import re


class FakeSms:
    sent: list[tuple[str, str, str]] = []
    failures: list[Exception] = []

    def send(self, *, phone, text, client_ref):
        if FakeSms.failures:
            raise FakeSms.failures.pop(0)
        if client_ref not in {ref for _, _, ref in FakeSms.sent}:
            FakeSms.sent.append((phone, text, client_ref))
        return f"fake-{client_ref}"

    @classmethod
    def last_code(cls, phone: str) -> str:
        for to, text, _ in reversed(cls.sent):
            if to == phone and "验证码" in text:
                return re.search(r"\d{6}", text).group(0)
        raise AssertionError(f"no code sent to {phone}")

    @classmethod
    def to(cls, phone: str) -> list[str]:
        return [text for to, text, _ in cls.sent if to == phone]
