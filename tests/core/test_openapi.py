"""OpenAPI 3: the schema validates without warnings, and the docs page needs no CDN."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_settings import CONFIG_VARS

ROOT = Path(__file__).resolve().parents[2]


def test_spectacular_validates_without_warnings(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(tmp_path / "schema.yml"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr and "Error" not in result.stderr, result.stderr[-3000:]
    schema = (tmp_path / "schema.yml").read_text(encoding="utf-8")
    assert "openapi: 3" in schema
    assert "/api/v1/organizations/{code}/" in schema


@pytest.mark.django_db
def test_schema_endpoint_serves_the_organization_paths(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/organizations/" in paths
    assert "/api/v1/organizations/import/" in paths
    assert "/api/v1/auth/token/" in paths


@pytest.mark.django_db
def test_swagger_ui_is_served_without_any_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    references = re.findall(
        r"""<(?:script|link)\b[^>]*?(?:src|href)\s*=\s*["']([^"']+)["']""", html
    )
    assert references, html
    external = [r for r in references if re.match(r"^(https?:)?//", r)]
    assert external == [], external
    # The sidecar assets it points at are the site's own static files (collectstatic/whitenoise).
    from django.conf import settings
    from django.contrib.staticfiles import finders

    local = [r for r in references if r.startswith(settings.STATIC_URL)]
    assert any(r.endswith("swagger-ui-bundle.js") for r in local), local
    for ref in local:
        assert finders.find(ref.removeprefix(settings.STATIC_URL)), ref


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, operation


def _schemas(response):
    for media in response.get("content", {}).values():
        schema = media["schema"]
        yield from schema.get("anyOf", [schema])


@pytest.mark.django_db
def test_every_operation_documents_its_error_answers_in_the_error_shape(client):
    """One place (core.api.schema.ProjectAutoSchema) documents the errors every operation can
    give; an operation that declared its own 400 body (imports) accepts either."""
    schema = client.get("/api/schema/", {"format": "json"}).json()
    error = {"$ref": "#/components/schemas/ErrorResponse"}
    assert set(schema["components"]["schemas"]["ErrorResponse"]["required"]) == {
        "status",
        "code",
        "detail",
        "errors",
    }
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        expected = set()
        if (
            "requestBody" in operation
            or any(p["in"] == "query" for p in operation.get("parameters", []))
            or method == "delete"
        ):
            expected.add("400")
        if {} not in operation.get("security", []):  # no anonymous access
            expected |= {"401", "403"}
        if "{" in path:
            expected |= {"404", "405"}
        if method == "delete":
            expected.add("409")
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            assert error in list(_schemas(responses[status])), (method, path, status)
    imported = schema["paths"]["/api/v1/organizations/import/"]["post"]["responses"]["400"]
    assert list(_schemas(imported)) == [{"$ref": "#/components/schemas/ImportResult"}, error]
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert error in list(_schemas(token["429"]))


@pytest.mark.django_db
def test_demo_codes_are_examples_where_a_request_names_a_central_record(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    detail = schema["paths"]["/api/v1/organizations/{code}/"]["get"]["parameters"]
    assert [p["example"] for p in detail if p["in"] == "path"] == ["TD-ZQ-YL"]
    member = schema["components"]["schemas"]["MemberRequest"]["properties"]
    assert member["branch"]["example"].startswith("TD-ZQ-YL")
