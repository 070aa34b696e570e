"""No oracle: a code of a record outside the user's scope and a code that does not exist get
the same status and the same body, for every code-taking field of every API serializer and
every code-taking query parameter of the schema. Run on the demo street as 园林's secretary,
so that every kind of record exists in the neighbouring communities."""

from __future__ import annotations

import io
import json

import pytest
from django.db import transaction
from django.urls import resolve, reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.test import APIClient

from core.links import LinkScope, link_scope, linkable, linkable_targets, writable_links
from tests.core.test_link_scope import api_viewsets, write_serializers

UNKNOWN = "ZZ-NO-SUCH-CODE"

# Query parameters that take no record code (or a shared, unscoped one).
NOT_CODES = {"q", "credit_code", "kind", "on", "start", "end", "token", "skill"}
NOT_CODES |= {"indicator_set__code"}  # indicator sets are shared reference data

# A parameter of a custom action (not a filter) names a record of this model.
PARAM_MODELS = {
    "unit": "covenants.PartnerUnit",
    "partner": "covenants.PartnerUnit",
    "work_unit": "covenants.PartnerUnit",
    "grid": "grids.Grid",
    "micro_grid": "grids.Grid",
    "building": "grids.Building",
    "household": "grids.Household",
    "member": "organizations.Member",
    "registration": "organizations.CommunityRegistration",
    "post": "organizations.Post",
    "series": "governance.MeetingSeries",
    "team": "volunteers.Team",
    "activity": "volunteers.Activity",
    "volunteer": "volunteers.Volunteer",
    "project": "covenants.ServiceProject",
    "assessment": "assessment.Assessment",
    "assessment__code": "assessment.Assessment",
    "version": "assessment.WorkListVersion",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo street, seeded once for this module and rolled back afterwards."""
    from core.demo import seed_all

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            seed_all(io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def cadre(demo, db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="yuanlin")


def _slug(model) -> str:
    for name in ("code", "number", "tracking_code", "username"):
        if any(f.name == name for f in model._meta.fields):
            return name
    return "pk"


def outside(user, model, slug: str | None = None, allowed=None):
    """The code of one record of ``model`` outside ``allowed`` (by default: what the user may
    know of — their scope and the levels above it), preferably a neighbouring community's."""
    slug = slug or _slug(model)
    street = linkable_targets(user, model, LinkScope.STREET)
    if allowed is None:
        allowed = linkable_targets(user, model, LinkScope.IN_SCOPE_OR_ABOVE)
    for queryset in (street, model._default_manager.all()):
        obj = queryset.exclude(pk__in=allowed.values("pk")).order_by("pk").first()
        if obj is not None:
            return str(getattr(obj, slug))
    return None


def _same(refused, unknown, code, where=""):
    assert refused.status_code == unknown.status_code, (where, refused.content, unknown.content)
    text = unknown.content.decode().replace(UNKNOWN, code)
    got, expected = json.loads(refused.content or b"null"), json.loads(text or "null")
    if isinstance(got, dict) and isinstance(expected, dict) and "errors" in got:
        diff = {
            k: (got["errors"].get(k), expected.get("errors", {}).get(k))
            for k in set(got["errors"]) | set(expected.get("errors", {}))
            if got["errors"].get(k) != expected.get("errors", {}).get(k)
        }
        assert not diff, (where, diff)
    assert got == expected, where


def _list_url(viewset) -> str | None:
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            elif isinstance(p, URLPattern):
                yield p

    for pattern in walk(get_resolver().url_patterns):
        callback = pattern.callback
        if getattr(callback, "cls", None) is viewset and "post" in (
            getattr(callback, "actions", None) or {}
        ):
            if callback.actions["post"] == "create" and pattern.name:
                return reverse(pattern.name)
    return None


def test_every_code_taking_serializer_field(cadre):
    client = APIClient()
    client.force_authenticate(cadre)
    compared = []
    for viewset in api_viewsets():
        url = _list_url(viewset)
        if url is None:
            continue
        for serializer in write_serializers(viewset, cadre)[:1]:
            model = serializer.Meta.model
            links = {f.name for f in writable_links(model)}
            for name, field in serializer.fields.items():
                if field.read_only or field.source not in links:
                    continue
                if link_scope(model, field.source) in (LinkScope.UNSCOPED, LinkScope.SERVICE):
                    continue
                relation = field.child_relation if isinstance(field, ManyRelatedField) else field
                if not isinstance(relation, RelatedField):
                    continue
                slug = getattr(relation, "slug_field", "pk")
                target = model._meta.get_field(field.source).related_model
                code = outside(cadre, target, slug, linkable(cadre, model, field.source))
                if code is None:
                    continue
                many = isinstance(field, ManyRelatedField)
                refused = client.post(url, {name: [code] if many else code}, format="json")
                unknown = client.post(url, {name: [UNKNOWN] if many else UNKNOWN}, format="json")
                assert refused.status_code != 201, (url, name)
                _same(refused, unknown, code, f"{url} {name}")
                compared.append(f"{url} {name}")
    assert len(compared) > 50, compared


def _schema_params():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        if "{" in path:
            continue
        operation = item.get("get")
        if operation is None:
            continue
        for parameter in operation.get("parameters", []):
            spec = parameter.get("schema", {})
            if (
                parameter["in"] != "query"
                or spec.get("type") != "string"
                or "enum" in spec
                or spec.get("format")
                or parameter["name"] in NOT_CODES
                or parameter["name"] in {"page", "page_size", "search", "ordering", "format"}
                or parameter["name"] in {"file_format", "unmasked", "purpose"}
            ):
                continue
            yield path, parameter["name"]


def _param_target(path: str, name: str):
    """The model (and slug) a query parameter names, from the view's filterset if it has one."""
    from django.apps import apps

    from organizations.models import Organization

    view = resolve(path).func
    cls = getattr(view, "cls", None)
    filterset_class = getattr(cls, "filterset_class", None)
    if filterset_class is not None and name in filterset_class.base_filters:
        field_name = filterset_class.base_filters[name].field_name
        parts = field_name.split("__")
        if len(parts) > 1:
            model = filterset_class._meta.model
            for part in parts[:-1]:
                model = model._meta.get_field(part).related_model
            return model, parts[-1]
    label = PARAM_MODELS.get(name)
    if label:
        return apps.get_model(label), None
    return Organization, "code"


def test_every_code_taking_query_parameter(cadre):
    client = APIClient()
    client.force_authenticate(cadre)
    compared = []
    for path, name in _schema_params():
        model, slug = _param_target(path, name)
        code = outside(cadre, model, slug)
        if code is None:
            continue
        refused = client.get(path, {name: code})
        unknown = client.get(path, {name: UNKNOWN})
        if refused.status_code == 403 and unknown.status_code == 403:
            continue  # the role may not read this list at all
        _same(refused, unknown, code, f"{path}?{name}")
        compared.append(f"{path}?{name}")
    assert len(compared) > 40, compared


def test_task_assignment_tells_no_user_apart(cadre, demo):
    from django.contrib.auth import get_user_model

    from governance.models import Resolution

    resolution = Resolution.objects.filter(meeting__series__body__code="TD-ZQ-YL").first()
    if resolution is None:
        pytest.skip("the demo has no resolution in 园林")
    other = get_user_model().objects.get(username="shengli")
    client = APIClient()
    client.force_authenticate(cadre)
    url = f"/api/v1/resolutions/{resolution.code}/dispatch_task/"
    body = {"title": "派单", "deadline": "2030-01-01"}
    refused = client.post(
        url, {**body, "assignee": {"type": "user", "code": other.username}}, format="json"
    )
    unknown = client.post(
        url, {**body, "assignee": {"type": "user", "code": UNKNOWN}}, format="json"
    )
    assert refused.status_code == 400
    _same(refused, unknown, other.username)
