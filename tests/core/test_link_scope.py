"""One rule for every link (core.links): each writable link of every model is declared, the API
and the admin take their choices from it, and the services refuse an out-of-scope target
exactly like an unknown one."""

from __future__ import annotations

from datetime import date

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.request import Request

from core.api.serializers import ScopedModelSerializer
from core.links import LinkScope, check_links, link_scope, linkable, writable_links
from covenants.models import LiaisonLog, PartnerUnit, Resource, UnitPartnership
from organizations.models import Member, SentDownCadre, StandingAppointment
from tests.factories import OrganizationFactory
from tests.organizations.factories import MemberFactory, make_id_number


def project_models():
    for model in apps.get_models():
        if model._meta.app_config.name not in settings.PROJECT_APPS:
            continue
        if hasattr(model, "instance_type"):  # django-simple-history's shadow tables
            continue
        yield model


def test_every_writable_link_of_every_model_is_declared():
    missing, stale = [], []
    count = 0
    for model in project_models():
        names = {f.name for f in writable_links(model)}
        for name in names:
            count += 1
            try:
                link_scope(model, name)
            except ImproperlyConfigured:
                missing.append(f"{model._meta.label}.{name}")
        for name in getattr(model, "link_scopes", {}) or {}:
            if name not in names:
                stale.append(f"{model._meta.label}.{name}")
    assert count > 100
    assert not missing, f"declare these in the model's link_scopes: {missing}"
    assert not stale, f"link_scopes names no writable link: {stale}"


def _walk(patterns):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns)
        elif isinstance(p, URLPattern):
            yield p


def api_viewsets() -> list[type]:
    found = {}
    for pattern in _walk(get_resolver().url_patterns):
        cls = getattr(pattern.callback, "cls", None)
        actions = getattr(pattern.callback, "actions", None) or {}
        if cls is not None and ({"post", "patch", "put"} & set(actions)):
            found[cls] = actions
    return list(found)


def write_serializers(viewset, user):
    """The serializers the create and update actions of ``viewset`` bind, for ``user``."""
    django_request = RequestFactory().post("/")
    django_request.user = user
    request = Request(django_request)
    request.user = user
    out = []
    for action in ("create", "partial_update"):
        view = viewset()
        view.action = action
        view.request = request
        view.format_kwarg = None
        view.kwargs = {}
        try:
            serializer_class = view.get_serializer_class()
        except (AssertionError, AttributeError):  # no serializer for this action
            continue
        if not issubclass(serializer_class, serializers.ModelSerializer):
            continue
        out.append(serializer_class(context={"request": request, "view": view}))
    return out


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_project_model_serializer_uses_the_scoped_base():
    project = tuple(f"{app}." for app in settings.PROJECT_APPS)
    plain = [
        f"{c.__module__}.{c.__qualname__}"
        for c in _all_subclasses(serializers.ModelSerializer)
        if c.__module__.startswith(project) and not issubclass(c, ScopedModelSerializer)
    ]
    assert not plain, plain


@pytest.mark.django_db
def test_every_api_writable_link_takes_its_choices_from_the_declaration(users):
    user = users["cadre_a"]
    checked = []
    for viewset in api_viewsets():
        for serializer in write_serializers(viewset, user):
            model = serializer.Meta.model
            links = {f.name for f in writable_links(model)}
            for name, field in serializer.fields.items():
                if field.source not in links:
                    continue
                kind = link_scope(model, field.source)
                label = f"{viewset.__name__}.{name}"
                if kind == LinkScope.SERVICE:
                    assert field.read_only, f"{label}: set by services, must be read-only"
                    continue
                if field.read_only:
                    continue
                relation = field.child_relation if isinstance(field, ManyRelatedField) else field
                assert isinstance(relation, RelatedField), label
                expected = linkable(user, model, field.source)
                assert str(relation.get_queryset().query) == str(expected.query), label
                checked.append(label)
    # The known holes are among the fields checked.
    for label in (
        "MemberViewSet.work_unit",
        "StandingAppointmentViewSet.sending_unit",
        "SentDownCadreViewSet.unit",
        "SentDownCadreViewSet.member",
        "CommitteeSeatViewSet.member",
        "LiaisonLogViewSet.unit",
        "ResourceViewSet.unit",
    ):
        assert label in checked, label
    assert len(checked) > 60


@pytest.mark.django_db
def test_every_admin_form_link_takes_its_choices_from_the_declaration(users, rf):
    user = users["cadre_a"]
    request = rf.get("/")
    request.user = user
    checked = 0
    for model, model_admin in admin.site._registry.items():
        declared = getattr(model, "link_scopes", None)
        if not declared or not model_admin.has_add_permission(request):
            continue
        form = model_admin.get_form(request, None)
        for name, field in form.base_fields.items():
            if name not in declared:
                continue
            kind = LinkScope(declared[name])
            assert kind != LinkScope.SERVICE, f"{model._meta.label}.{name} must be read-only"
            queryset = getattr(field, "queryset", None)
            if queryset is None or kind == LinkScope.UNSCOPED:
                continue
            allowed = set(linkable(user, model, name).values_list("pk", flat=True))
            offered = set(queryset.values_list("pk", flat=True))
            assert offered <= allowed, f"{model._meta.label}.{name} offers {offered - allowed}"
            checked += 1
    assert checked > 20


# ---------------------------------------------------------------- the kinds, with data


@pytest.fixture
def far(tree):
    """Another street (S2) with a community C, in the same district."""
    street2 = OrganizationFactory(
        code="S2", name="解放街道党工委", kind="street_committee", parent=tree["district"]
    )
    community_c = OrganizationFactory(
        code="C", name="新华社区大党委", kind="community_committee", parent=street2
    )
    for node in (*tree.values(), street2, community_c):
        node.refresh_from_db()
    return {"street": street2, "community": community_c}


@pytest.fixture
def units(tree, far):
    def unit(code, org):
        return PartnerUnit.objects.create(
            code=code, name=f"单位{code}", kind="agency", organization=org
        )

    out = {
        "a": unit("UA", tree["community_a"]),
        "b": unit("UB", tree["community_b"]),
        "street": unit("US", tree["street"]),
        "shared": unit("UX", tree["community_b"]),
        "far": unit("UC", far["community"]),
    }
    UnitPartnership.objects.create(unit=out["shared"], organization=tree["community_a"])
    return out


def _codes(queryset):
    return set(queryset.values_list("code", flat=True))


def test_kinds_reach_what_foundation_says(users, units, tree, far):
    from core.links import linkable_targets

    cadre = users["cadre_a"]
    in_scope = _codes(linkable_targets(cadre, PartnerUnit, LinkScope.IN_SCOPE))
    above = _codes(linkable_targets(cadre, PartnerUnit, LinkScope.IN_SCOPE_OR_ABOVE))
    street = _codes(linkable_targets(cadre, PartnerUnit, LinkScope.STREET))
    assert in_scope == {"UA", "UX"}  # its own, and B's unit co-building with A
    assert above == {"UA", "UX", "US"}
    assert street == {"UA", "UB", "UX", "US"}
    # Never another street, whatever the kind.
    assert "UC" not in in_scope | above | street
    assert _codes(linkable_targets(users["root"], PartnerUnit, LinkScope.IN_SCOPE)) >= {"UC"}
    assert (
        not linkable_targets(users["street"], PartnerUnit, LinkScope.STREET)
        .filter(code="UC")
        .exists()
    )


def test_the_service_refuses_an_out_of_scope_link_like_an_unknown_one(users, units, tree):
    from core.services import scoped_create, scoped_update

    member = MemberFactory(branch=tree["branch_a"], work_unit=units["a"])
    with pytest.raises(ValidationError) as out_of_scope:
        scoped_update(actor=users["cadre_a"], instance=member, data={"work_unit": units["b"]})
    member.refresh_from_db()
    assert member.work_unit == units["a"]
    assert out_of_scope.value.message_dict == {"work_unit": ["对象不存在。"]}
    # A link that does not change is not re-checked (an old link stays editable).
    member.work_unit = units["b"]
    Member.objects.filter(pk=member.pk).update(work_unit=units["b"])
    scoped_update(actor=users["cadre_a"], instance=member, data={"name": "改名"})
    with pytest.raises(ValidationError):
        scoped_create(
            actor=users["cadre_a"],
            model=StandingAppointment,
            data={
                "code": "SA1",
                "community": tree["community_a"],
                "kind": "first_secretary",
                "person_name": "张三",
                "sending_unit": units["far"],
                "start_date": date(2026, 1, 1),
            },
        )
    check_links(
        actor=users["cadre_a"],
        instance=StandingAppointment(community=tree["community_a"], sending_unit=units["street"]),
    )


# ---------------------------------------------------------------- through the API


def _member_payload(n, **extra):
    return {
        "name": f"党员{n}",
        "gender": "male",
        "id_number": make_id_number(date(1990, 1, 1), n),
        "category": "in_service",
        "branch": "A-01",
        **extra,
    }


@pytest.mark.parametrize("target", ["b", "far"])
def test_api_refuses_other_communities_and_other_streets_as_unknown(
    api, users, units, tree, target
):
    client = api(users["cadre_a"])
    code = units[target].code
    unknown = client.post("/api/v1/members/", _member_payload(1, work_unit="NOPE"), format="json")
    refused = client.post("/api/v1/members/", _member_payload(1, work_unit=code), format="json")
    assert unknown.status_code == refused.status_code == 400
    assert refused.json() == _same(unknown.json(), "NOPE", code)
    assert not Member.objects.exists()

    member = MemberFactory(branch=tree["branch_a"], work_unit=units["a"])
    checks = [
        (f"/api/v1/members/{member.code}/", {"work_unit": code}),
        (f"/api/v1/members/{member.code}/", {"branch": "B-01" if target == "b" else "C"}),
    ]
    seat_member = MemberFactory(branch=tree["branch_b"])
    cadre = SentDownCadre.objects.create(
        code="SD1", community=tree["community_a"], person_name="李四", start_date=date(2026, 1, 1)
    )
    appointment = StandingAppointment.objects.create(
        code="SA1",
        community=tree["community_a"],
        kind="first_secretary",
        person_name="张三",
        start_date=date(2026, 1, 1),
    )
    log = LiaisonLog.objects.create(
        unit=units["a"], organization=tree["community_a"], date=date(2026, 3, 1)
    )
    resource = Resource.objects.create(
        code="R1", unit=units["a"], organization=tree["community_a"], title="场地", kind="venue"
    )
    checks += [
        (f"/api/v1/sent-down-cadres/{cadre.code}/", {"unit": code}),
        (f"/api/v1/standing-appointments/{appointment.code}/", {"sending_unit": code}),
        (f"/api/v1/liaison-logs/{log.pk}/", {"unit": code}),
        (f"/api/v1/resources/{resource.code}/", {"unit": code}),
    ]
    if target == "b":
        checks.append((f"/api/v1/sent-down-cadres/{cadre.code}/", {"member": seat_member.code}))
    for url, body in checks:
        ((name, value),) = body.items()
        bad = client.patch(url, body, format="json")
        missing = client.patch(url, {name: "NOPE"}, format="json")
        assert bad.status_code == missing.status_code == 400, (url, bad.content)
        assert bad.json() == _same(missing.json(), "NOPE", value), url
    member.refresh_from_db()
    cadre.refresh_from_db()
    appointment.refresh_from_db()
    log.refresh_from_db()
    resource.refresh_from_db()
    assert member.work_unit == units["a"] and member.branch == tree["branch_a"]
    assert cadre.unit is None and cadre.member is None and appointment.sending_unit is None
    assert log.unit == units["a"] and resource.unit == units["a"]


def test_api_refuses_another_communitys_member_on_seats(api, users, units, tree):
    client = api(users["cadre_a"])
    member_b = MemberFactory(branch=tree["branch_b"])
    payload = {
        "committee": "A",
        "person_name": "王五",
        "seat_type": "unit",
        "member": member_b.code,
    }
    refused = client.post("/api/v1/committee-seats/", payload, format="json")
    unknown = client.post("/api/v1/committee-seats/", {**payload, "member": "NOPE"}, format="json")
    assert refused.status_code == unknown.status_code == 400
    assert refused.json() == _same(unknown.json(), "NOPE", member_b.code)


def test_admin_offers_only_linkable_units(admin_client_for, users, units, tree):
    client = admin_client_for(users["cadre_a"])
    page = client.get("/admin/organizations/member/add/").content.decode()
    assert "单位UA" in page and "单位US" in page
    assert "单位UB" not in page and "单位UC" not in page


def _same(body, unknown_code: str, code: str):
    """``body`` (the answer for an unknown code) with the refused code in its place."""
    import json

    return json.loads(json.dumps(body, ensure_ascii=False).replace(unknown_code, code))


def test_resolve_codes_tells_no_out_of_scope_code_from_an_unknown_one(users, units):
    from core.links import linkable_targets, resolve_codes

    allowed = linkable_targets(users["cadre_a"], PartnerUnit, LinkScope.IN_SCOPE)
    assert resolve_codes(allowed, ["UX", "UA"]) == [units["shared"], units["a"]]
    with pytest.raises(ValidationError) as refused:
        resolve_codes(allowed, ["UA", "UB"], label="单位编码")
    with pytest.raises(ValidationError) as unknown:
        resolve_codes(allowed, ["UA", "NOPE"], label="单位编码")
    assert refused.value.messages == [m.replace("NOPE", "UB") for m in unknown.value.messages]
    assert "单位UB" not in refused.value.messages[0]
