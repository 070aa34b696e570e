"""Fields a workflow service owns (``workflow_fields`` and ``SERVICE`` links) are read-only in
every API serializer, every admin form and the OpenAPI schema; sent with a new value they are
refused (400) and nothing is written; ``status`` without a richer workflow changes through
``…/set-status/``, audited."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from drf_spectacular.generators import SchemaGenerator

from core.links import service_fields
from core.models import AuditLog
from covenants.models import Need, Project, ServiceProject
from organizations.models import Member
from tests.core.test_link_scope import api_viewsets, project_models, write_serializers
from tests.covenants.factories import (
    AgreementFactory,
    NeedFactory,
    PartnerUnitFactory,
    ResourceFactory,
)
from tests.organizations.factories import MemberFactory, make_id_number
from volunteers.models import Volunteer


def owned_models():
    return [m for m in project_models() if service_fields(m)]


def test_the_models_that_own_workflow_fields_declare_them():
    labels = {m._meta.label for m in owned_models()}
    for label in (
        "organizations.Member",
        "covenants.ServiceProject",
        "covenants.Need",
        "covenants.Project",
        "volunteers.Volunteer",
        "covenants.Agreement",
        "grids.Case",
        "governance.Task",
        "volunteers.Wish",
    ):
        assert label in labels, label
    for model in owned_models():
        names = {f.name for f in model._meta.get_fields()}
        assert set(service_fields(model)) <= names, model._meta.label
    # Every model with a status declares it: a status is always a workflow's.
    undeclared = [
        m._meta.label
        for m in project_models()
        if any(f.name == "status" for f in m._meta.concrete_fields)
        and "status" not in service_fields(m)
    ]
    assert not undeclared, undeclared


@pytest.mark.django_db
def test_api_serializers_make_them_read_only(users):
    seen = set()
    for viewset in api_viewsets():
        for serializer in write_serializers(viewset, users["street"]):
            owned = set(service_fields(serializer.Meta.model))
            for name, field in serializer.fields.items():
                if (field.source or name) in owned:
                    assert field.read_only, f"{viewset.__name__}.{name}"
                    seen.add(f"{serializer.Meta.model._meta.label}.{name}")
    for label in (
        "organizations.Member.status",
        "covenants.ServiceProject.status",
        "covenants.Need.status",
        "covenants.Project.status",
        "volunteers.Volunteer.status",
    ):
        assert label in seen, label


def test_the_schema_marks_them_read_only():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    checked = 0
    for viewset in api_viewsets():
        serializer_class = getattr(viewset, "serializer_class", None)
        if serializer_class is None or not hasattr(serializer_class, "Meta"):
            continue
        model = getattr(serializer_class.Meta, "model", None)
        owned = set(service_fields(model)) if model else set()
        name = serializer_class.__name__.removesuffix("Serializer")
        response = components.get(name, {}).get("properties", {})
        for request_name in (f"{name}Request", f"Patched{name}Request"):
            request = components.get(request_name, {}).get("properties", {})
            assert not owned & set(request), (request_name, owned & set(request))
        for field in owned & set(response):
            assert response[field].get("readOnly") is True, (name, field)
            checked += 1
    assert checked >= 10


@pytest.mark.django_db
def test_admin_forms_make_them_read_only(users, rf):
    request = rf.get("/")
    request.user = users["root"]
    checked = 0
    for model in owned_models():
        model_admin = admin.site._registry.get(model)
        if model_admin is None:
            continue
        owned = set(service_fields(model))
        for obj in (None, model()):  # the add form and a change form
            if obj is None and not model_admin.has_add_permission(request):
                continue
            form = model_admin.get_form(request, obj, change=obj is not None)
            editable = owned & set(form.base_fields)
            assert not editable, (model._meta.label, "change" if obj else "add", editable)
        checked += 1
    assert checked >= 8


# ---------------------------------------------------------------- mass assignment


@pytest.fixture
def world(tree):
    unit = PartnerUnitFactory(code="UA", organization=tree["community_a"])
    agreement = AgreementFactory(code="AG-A", party_a=tree["community_a"], unit=unit)
    need = NeedFactory(code="N-A", organization=tree["community_a"])
    resource = ResourceFactory(code="R-A", organization=tree["community_a"], unit=unit)
    return {"agreement": agreement, "need": need, "resource": resource}


CASES = [
    (
        "/api/v1/members/",
        Member,
        lambda: {
            "name": "新党员",
            "gender": "male",
            "id_number": make_id_number(date(1990, 1, 1), 3),
            "category": "resident",
            "branch": "A-01",
        },
        "probationary",
    ),
    (
        "/api/v1/service-projects/",
        ServiceProject,
        lambda: {"code": "SP-NEW", "agreement": "AG-A", "title": "助老", "category": "security"},
        "completed",
    ),
    (
        "/api/v1/needs/",
        Need,
        lambda: {
            "code": "N-NEW",
            "organization": "A",
            "title": "助浴",
            "category": "security",
            "source": "survey",
            "reported_on": "2026-03-01",
        },
        "closed",
    ),
    (
        "/api/v1/matched-projects/",
        Project,
        lambda: {"code": "P-NEW", "need": "N-A", "resource": "R-A", "title": "对接"},
        "done",
    ),
    (
        "/api/v1/volunteers/",
        Volunteer,
        lambda: {"name": "孙丽", "phone": "13700001111", "community": "A"},
        "suspended",
    ),
]


@pytest.mark.parametrize(("url", "model", "payload", "status"), CASES)
def test_status_sent_on_create_is_refused(api, users, world, url, model, payload, status):
    client = api(users["cadre_a"])
    before = model.objects.count()
    refused = client.post(url, {**payload(), "status": status}, format="json")
    assert refused.status_code == 400, refused.content
    assert list(refused.json()["errors"]) == ["status"]
    assert model.objects.count() == before
    created = client.post(url, payload(), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] != status


def test_status_sent_on_update_is_refused_unless_unchanged(api, users, tree):
    member = MemberFactory(branch=tree["branch_a"], status="full")
    client = api(users["cadre_a"])
    url = f"/api/v1/members/{member.code}/"
    assert client.patch(url, {"status": "probationary"}, format="json").status_code == 400
    member.refresh_from_db()
    assert member.status == "full"
    # Sending back what was read (GET, edit, PUT) is fine.
    echoed = client.patch(url, {"status": "full", "address": "新地址"}, format="json")
    assert echoed.status_code == 200, echoed.content


def test_status_changes_through_the_set_status_action(api, users, tree):
    member = MemberFactory(branch=tree["branch_a"], status="full")
    client = api(users["cadre_a"])
    url = f"/api/v1/members/{member.code}/set-status/"
    assert client.post(url, {"status": "nonsense"}, format="json").status_code == 400
    response = client.post(url, {"status": "probationary", "note": "补录"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "probationary"
    member.refresh_from_db()
    assert member.status == "probationary"
    row = AuditLog.objects.get(action="member.status")
    assert row.detail == {"from": "full", "to": "probationary", "note": "补录"}
    # Another community's member: a plain 404, like a missing one.
    other = MemberFactory(branch=tree["branch_b"])
    assert (
        client.post(
            f"/api/v1/members/{other.code}/set-status/", {"status": "full"}, format="json"
        ).status_code
        == 404
    )
    # A role without the change permission may not.
    assert api(users["district"]).post(url, {"status": "full"}, format="json").status_code == 403


def test_admin_changes_status_through_its_action(admin_client_for, users, tree):
    member = MemberFactory(branch=tree["branch_a"], status="full")
    other = MemberFactory(branch=tree["branch_b"], status="full")
    client = admin_client_for(users["cadre_a"])
    # The change form does not take the status.
    page = client.get(f"/admin/organizations/member/{member.pk}/change/").content.decode()
    assert 'name="status"' not in page
    response = client.post(
        "/admin/organizations/member/",
        {
            "action": "set_status_probationary",
            "_selected_action": [member.pk, other.pk],
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    other.refresh_from_db()
    assert member.status == "probationary"
    assert other.status == "full"  # out of scope: not even selectable
    assert AuditLog.objects.filter(action="member.status", target_id=str(member.pk)).count() == 1
