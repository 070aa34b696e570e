"""A bounded schemathesis run over every API operation (issue 15): generated positive and
negative requests, as a community secretary and as a superuser, must never answer 5xx, and every
answer — to valid and to invalid input — must carry a status code the schema documents for that
operation and a body matching the documented shape.

Each request runs in its own real transaction (``transaction=True``, no test-wide atomic block),
as under a server: a statement that fails fails only its own request, on PostgreSQL as on
SQLite. The data is the demo seed at a small scale (every app's records, the codes the schema's
examples name).

Bounded: the schema's examples once, then ``SCHEMATHESIS_EXAMPLES`` generated cases per
operation and mode (default 1), each drawn once and sent as both users; no shrinking; every
failure is collected and reported at once.
``SCHEMATHESIS_OPERATIONS`` (a regular expression over "METHOD /path") narrows the run while
working on a few operations."""

from __future__ import annotations

import io
import os
import re
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "1"))
ONLY = re.compile(os.environ.get("SCHEMATHESIS_OPERATIONS", ""))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def demo(monkeypatch):
    """The demo seed with one building per grid (≈300 households instead of 2,600): every app's
    records exist, the run stays short."""
    import grids.demo
    from core.demo import seed_all

    monkeypatch.setattr(grids.demo, "BUILDINGS_PER_GRID", 1)
    started = time.process_time()
    seed_all(io.StringIO())
    print(f"\ndemo seed: {time.process_time() - started:.1f} s CPU")


def _headers(username: str) -> dict[str, str]:
    from django.contrib.auth import get_user_model

    from core.tokens import token_issue

    _, key = token_issue(user=get_user_model().objects.get(username=username), name="schemathesis")
    return {"Authorization": f"Token {key}"}


def _operations():
    from config.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if ONLY.search(f"{op.method.upper()} {op.path}")]
    # Deletions last, so the records the other operations look for are still there.
    return sorted(operations, key=lambda op: op.method.upper() == "DELETE")


def _validate(operation, case, headers, label, failures, counts):
    try:
        response = case.call(headers=headers)
    except Exception as exc:  # the transport raised: the app crashed outright
        failures.append(f"{operation.label} [{label}] {type(exc).__name__}: {exc}")
        return
    counts["requests"] += 1
    if response.status_code >= 500:
        counts["5xx"] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis's FailureGroup
        lines = [line for line in str(exc).strip().splitlines() if line.strip()]
        failures.append(
            f"{operation.label} [{label}] {response.status_code}: " + " | ".join(lines[:6])[:500]
        )


def _run(operation, users, failures, counts):
    """Each case drawn once and sent as each user in turn (the scoped user first)."""

    def send(case, label):
        for who, headers in users:
            _validate(operation, case, headers, f"{who} {label}", failures, counts)

    for example in operation.get_strategies_from_examples():

        @settings(max_examples=1, deadline=None, database=None, derandomize=True)
        @given(case=example)
        def explicit(case):
            send(case, "example")

        explicit()

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        _generate(operation, mode, send)


def _generate(operation, mode, send):
    strategy = operation.as_strategy(generation_mode=mode)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=["explicit", "generate"],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def generated(case):
        send(case, mode.value)

    try:
        generated()
    except Unsatisfiable:  # e.g. no way to make a request to this operation invalid
        pass


def test_generated_requests_get_no_server_error_and_match_the_schema(demo):
    started, cpu = time.monotonic(), time.process_time()
    operations = _operations()
    assert len(operations) > (0 if ONLY.pattern else 400)
    failures: list[str] = []
    counts = {"requests": 0, "5xx": 0}
    # Deletions come last (see _operations); within an operation the scoped user goes first.
    users = [(name, _headers(name)) for name in ("yuanlin", "admin")]
    for operation in operations:
        _run(operation, users, failures, counts)
    unique = sorted(set(failures))
    print(
        f"\nschemathesis: {len(operations)} operations × 2 users, {counts['requests']} requests, "
        f"{counts['5xx']} answered 5xx, {len(unique)} failures; "
        f"{time.monotonic() - started:.0f} s wall, {time.process_time() - cpu:.0f} s CPU, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    assert not unique, f"{len(unique)} failures:\n" + "\n".join(unique)
