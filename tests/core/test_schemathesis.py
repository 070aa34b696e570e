"""A bounded schemathesis run over every API operation (issue 15): generated positive and
negative requests, as a superuser and as a community secretary, must never answer 5xx and every
response must match the documented schema.

Bounded: ``SCHEMATHESIS_EXAMPLES`` examples per operation and mode (default 2), no shrinking;
every failure is collected and reported at once."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.generation import GenerationMode

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "2"))
PASSWORD = "schema-fuzz-2026!"


def _token(user) -> str:
    user.set_password(PASSWORD)
    user.save()
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _schema():
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


def _run(operation, headers, mode, failures):
    checks = [not_a_server_error]
    if mode is GenerationMode.POSITIVE:
        checks.append(response_schema_conformance)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=["explicit", "generate"],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def probe(data):
        case = data.draw(operation.as_strategy(generation_mode=mode))
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the transport raised: the app crashed outright
            failures.append(f"{operation.label} [{mode.value}] {type(exc).__name__}: {exc}")
            return
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis's FailureGroup
            first = str(exc).strip().splitlines()
            failures.append(
                f"{operation.label} [{mode.value}] {response.status_code}: "
                + " | ".join(line for line in first[:6] if line.strip())[:400]
            )

    try:
        probe()
    except Unsatisfiable:  # e.g. no way to make a request to this operation invalid
        pass


@pytest.mark.parametrize("who", ["root", "cadre_a"])
def test_generated_requests_get_no_server_error_and_match_the_schema(users, who):
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip(
            "on PostgreSQL one failed statement inside the shared test transaction aborts it and "
            "every later generated request answers 503; runs on SQLite (`make test` without "
            "DATABASE_URL) until each request gets its own transaction here"
        )
    headers = {"Authorization": f"Token {_token(users[who])}"}
    schema = _schema()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, headers, mode, failures)
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} failures:\n" + "\n".join(unique)
