"""Portal fixtures: a fresh cache per test (rate limits, lock-outs and duplicates live there)
and helpers that answer the human check the way a resident would."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.signing import loads

from portal.protection import _CHALLENGE_SALT


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def answer_for(token: str) -> str:
    data = loads(token, salt=_CHALLENGE_SALT)
    return str(data["a"] + data["b"] if data["o"] == "+" else data["a"] - data["b"])


def challenge_from(html: str) -> dict[str, str]:
    """Token and right answer from a rendered form."""
    token = re.search(r'name="challenge_token" value="([^"]+)"', html).group(1)
    return {"challenge_token": token, "challenge_answer": answer_for(token)}


@pytest.fixture
def solve():
    """``solve(client, url)`` → the human-check fields answered for a fresh form at url."""

    def get(client, url):
        response = client.get(url)
        return challenge_from(response.content.decode())

    return get


def answer_on(page) -> str:
    """Answer the human check shown on ``page`` the way a resident would."""
    return answer_for(page.input_value("input[name=challenge_token]"))


@pytest.fixture
def sms(settings):
    """SMS through the fake gateway (tests/portal/fake_sms.py), cleared for each test."""
    from tests.portal.fake_sms import FakeSms

    settings.SMS_BACKEND = "tests.portal.fake_sms.FakeSms"
    FakeSms.sent = []
    FakeSms.failures = []
    return FakeSms
