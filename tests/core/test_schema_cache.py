"""/api/schema/ is built once per code version and then served from the in-process cache;
a change of routes, API settings or APP_REVISION builds it again."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator

from core.api import schema_view

pytestmark = pytest.mark.django_db


@pytest.fixture
def builds(monkeypatch):
    schema_view._SCHEMA_CACHE.clear()
    calls = []
    original = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    yield calls
    schema_view._SCHEMA_CACHE.clear()


def test_second_request_is_served_from_the_cache(client, builds):
    first = client.get("/api/schema/", {"format": "json"})
    assert first.status_code == 200 and len(builds) == 1
    started = time.perf_counter()
    second = client.get("/api/schema/", {"format": "json"})
    elapsed = time.perf_counter() - started
    assert second.status_code == 200 and len(builds) == 1
    assert second.content == first.content
    assert "/api/v1/organizations/" in second.json()["paths"]
    assert second["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert elapsed < 1.0  # the build takes seconds; a cached answer is a dictionary lookup
    # YAML is its own rendering of the same build key.
    yaml = client.get("/api/schema/")
    assert yaml.status_code == 200 and b"openapi: 3" in yaml.content
    assert len(builds) == 2
    client.get("/api/schema/")
    assert len(builds) == 2


def test_a_new_code_version_builds_again(client, builds, settings, monkeypatch):
    client.get("/api/schema/", {"format": "json"})
    assert len(builds) == 1
    monkeypatch.setenv("APP_REVISION", "next-release")
    client.get("/api/schema/", {"format": "json"})
    assert len(builds) == 2
    changed = {**settings.SPECTACULAR_SETTINGS, "VERSION": "9.9.9"}
    with override_settings(SPECTACULAR_SETTINGS=changed):
        key = schema_view.schema_version_key()
    assert key != schema_view.schema_version_key()


def test_the_key_follows_the_routes(settings):
    from django.urls import clear_url_caches

    before = schema_view.schema_version_key()
    settings.ROOT_URLCONF = "tests.core.schema_urls"
    clear_url_caches()
    try:
        assert schema_view.schema_version_key() != before
    finally:
        settings.ROOT_URLCONF = "config.urls"
        clear_url_caches()
    assert schema_view.schema_version_key() == before
