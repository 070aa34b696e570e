"""core.api.filters.FilterBackend: no FilterSet is built for a request without filter
parameters (same answer as django-filter's), and filter parameters still filter."""

from __future__ import annotations

import django_filters
import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def filtersets_built(monkeypatch):
    built = []
    real = django_filters.FilterSet.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        real(self, *args, **kwargs)

    monkeypatch.setattr(django_filters.FilterSet, "__init__", counting)
    return built


def test_no_filterset_without_filter_parameters(api, users, tree, filtersets_built):
    client = api(users["street"])
    plain = client.get("/api/v1/organizations/", {"page_size": 50, "ordering": "code"})
    assert plain.status_code == 200
    assert filtersets_built == []
    kinds = {row["kind"] for row in plain.json()["results"]}
    assert len(kinds) > 1


def test_filter_parameters_still_filter(api, users, tree, filtersets_built):
    client = api(users["street"])
    response = client.get("/api/v1/organizations/", {"kind": "community_committee"})
    assert response.status_code == 200
    assert filtersets_built == ["OrganizationFilterSet"]
    rows = response.json()["results"]
    assert rows and {row["kind"] for row in rows} == {"community_committee"}
    bad = client.get("/api/v1/organizations/", {"kind": "no-such-kind"})
    assert bad.status_code == 400


def test_schema_still_lists_filter_parameters():
    from rest_framework.settings import api_settings

    from core.api.filters import FilterBackend

    assert FilterBackend in api_settings.DEFAULT_FILTER_BACKENDS
