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
    from django.core.cache import cache

    cache.clear()
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

    clear_url_caches()  # a resolver cached by an earlier test may hold a reloaded URLconf's routes
    before = schema_view.schema_version_key()
    settings.ROOT_URLCONF = "tests.core.schema_urls"
    clear_url_caches()
    try:
        assert schema_view.schema_version_key() != before
    finally:
        settings.ROOT_URLCONF = "config.urls"
        clear_url_caches()
    assert schema_view.schema_version_key() == before


def test_another_worker_takes_the_schema_from_the_django_cache(client, builds):
    first = client.get("/api/schema/", {"format": "json"})
    assert len(builds) == 1
    schema_view._SCHEMA_CACHE.clear()  # another worker, or this one restarted
    started = time.perf_counter()
    second = client.get("/api/schema/", {"format": "json"})
    elapsed = time.perf_counter() - started
    assert second.status_code == 200 and len(builds) == 1
    assert second.content == first.content
    assert elapsed < 1.0


def test_the_key_follows_the_source_code(monkeypatch):
    before = schema_view.schema_version_key()
    monkeypatch.setattr(schema_view, "code_digest", lambda: "edited-serializer")
    assert schema_view.schema_version_key() != before
    monkeypatch.undo()
    assert schema_view.schema_version_key() == before
    assert len(schema_view.code_digest()) == 64


def test_operations_are_grouped_by_app_with_chinese_descriptions(client, builds, settings):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    described = {tag["name"]: tag["description"] for tag in schema["tags"]}
    used = {tag for ops in schema["paths"].values() for op in ops.values() for tag in op["tags"]}
    assert {"core", "organizations", "grids", "covenants", "volunteers", "governance"} <= used
    assert "v1" not in used
    # Every tag in use is described (in Chinese) in SPECTACULAR_SETTINGS["TAGS"].
    assert used <= set(described), used - set(described)
    for name in used:
        assert any("\u4e00" <= char <= "\u9fff" for char in described[name]), name
    paths = schema["paths"]
    assert paths["/api/v1/volunteers/"]["get"]["tags"] == ["volunteers"]
    assert paths["/api/v1/meeting-series/"]["get"]["tags"] == ["governance"]
    assert paths["/api/v1/governance/calendars/{body}.ics"]["get"]["tags"] == ["governance"]
    assert paths["/api/v1/indicators/"]["get"]["tags"] == ["assessment"]
    assert paths["/api/v1/import-jobs/{id}/"]["get"]["tags"] == ["core"]


def test_swagger_page_says_chinese(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="zh-CN">' in html
    assert "<style" not in html and "?script=" in html  # the CSP's rules (tests/core/test_csp.py)
