"""public_partner_units: the resident portal's list of units co-building with a community."""

import pytest

from covenants.choices import AgreementStatus, ProjectStatus
from covenants.selectors import public_partner_units
from tests.covenants.factories import (
    AgreementFactory,
    PartnershipFactory,
    PartnerUnitFactory,
    ServiceProjectFactory,
)

pytestmark = pytest.mark.django_db


def test_units_and_projects_of_the_community(tree, units, signed):
    ServiceProjectFactory(
        code="SP-a-venue",
        agreement=signed["a"]["agreement"],
        title="操场开放",
        category="resource_sharing",
        venue="学校操场",
    )
    ServiceProjectFactory(
        code="SP-a-paused",
        agreement=signed["a"]["agreement"],
        title="暂停项目",
        status=ProjectStatus.SUSPENDED,
    )
    # unit B drafts an agreement with A: a draft is no co-building yet
    draft = AgreementFactory(
        code="AG-draft", party_a=tree["community_a"], unit=units["b"], status=AgreementStatus.DRAFT
    )
    ServiceProjectFactory(code="SP-draft", agreement=draft, title="草稿项目")

    rows = public_partner_units(tree["community_a"])

    assert [u.code for u in rows] == ["US", "UA"]  # by name: 供电公司, 园林小学
    shared, school = rows
    assert [p.title for p in school.public_projects] == [
        signed["a"]["project"].title,
        "操场开放",
    ]
    assert school.public_projects[1].venue == "学校操场"
    assert school.public_projects[1].get_category_display() == "资源共享"
    # the shared unit lists only its projects with A, not those with B
    assert [p.title for p in shared.public_projects] == [signed["shared_a"]["project"].title]
    # public-safe columns only: personal data is not even loaded
    for unit in rows:
        assert {"liaison_phone", "liaison_name", "party_secretary", "credit_code"} <= (
            unit.get_deferred_fields()
        )
    assert [u.code for u in public_partner_units(tree["community_b"])] == ["US", "UB"]


def test_partnership_without_agreement_lists_the_unit_with_no_projects(tree):
    unit = PartnerUnitFactory(code="UX", name="税务局", organization=tree["street"])
    PartnershipFactory(unit=unit, organization=tree["community_a"])
    PartnerUnitFactory(code="UY", name="别处单位", organization=tree["street"])
    rows = public_partner_units(tree["community_a"])
    assert [(u.code, u.public_projects) for u in rows] == [("UX", [])]


def test_constant_number_of_queries(tree, units, signed, django_assert_num_queries):
    with django_assert_num_queries(3):
        assert len(public_partner_units(tree["community_a"])) == 2
    for n in range(5):
        unit = PartnerUnitFactory(code=f"UQ{n}", organization=tree["street"])
        PartnershipFactory(unit=unit, organization=tree["community_a"])
        agreement = AgreementFactory(code=f"AG-q{n}", party_a=tree["community_a"], unit=unit)
        ServiceProjectFactory(code=f"SP-q{n}a", agreement=agreement)
        ServiceProjectFactory(code=f"SP-q{n}b", agreement=agreement)
    with django_assert_num_queries(3):
        rows = public_partner_units(tree["community_a"])
        assert len(rows) == 7
        assert sum(len(u.public_projects) for u in rows) == 2 + 10
