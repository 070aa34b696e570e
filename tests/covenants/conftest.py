"""Covenants fixtures: one unit per community plus a street-registered unit co-building with A."""

import pytest

from tests.covenants.factories import (
    ActivityFactory,
    AgreementFactory,
    PartnershipFactory,
    PartnerUnitFactory,
    ServiceProjectFactory,
)


@pytest.fixture
def units(tree):
    """unit_a registered in A, unit_b in B, shared registered at the street and co-building with
    both A and B."""
    unit_a = PartnerUnitFactory(code="UA", name="园林小学", organization=tree["community_a"])
    unit_b = PartnerUnitFactory(code="UB", name="胜利医院", organization=tree["community_b"])
    shared = PartnerUnitFactory(code="US", name="供电公司", organization=tree["street"])
    PartnershipFactory(unit=shared, organization=tree["community_a"])
    PartnershipFactory(unit=shared, organization=tree["community_b"])
    return {"a": unit_a, "b": unit_b, "shared": shared}


@pytest.fixture
def signed(tree, units):
    """Signed 2026 agreements: A–UA, B–UB, A–US, B–US, each with one project and one activity."""
    out = {}
    for key, party, unit in (
        ("a", "community_a", "a"),
        ("b", "community_b", "b"),
        ("shared_a", "community_a", "shared"),
        ("shared_b", "community_b", "shared"),
    ):
        agreement = AgreementFactory(code=f"AG-{key}", party_a=tree[party], unit=units[unit])
        project = ServiceProjectFactory(code=f"SP-{key}", agreement=agreement)
        activity = ActivityFactory(code=f"ACT-{key}", project=project)
        out[key] = {"agreement": agreement, "project": project, "activity": activity}
    return out
