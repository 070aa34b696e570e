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
