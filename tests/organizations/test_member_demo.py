"""The demo data gives every figure of issue 3 something real, and reseeding adds nothing."""

import io

import pytest

from core.demo import ensure_user
from organizations import demo
from organizations.models import Body, CommitteeSeat, CommunityRegistration, Member, Officer
from organizations.selectors import members as s

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_fills_the_figures(roles):
    ensure_user("admin", superuser=True)
    demo.seed(io.StringIO())
    counts = (
        Member.objects.count(),
        CommunityRegistration.objects.count(),
        CommitteeSeat.objects.count(),
        Body.objects.count(),
        Officer.objects.count(),
    )
    demo.seed(io.StringIO())
    assert counts == (
        Member.objects.count(),
        CommunityRegistration.objects.count(),
        CommitteeSeat.objects.count(),
        Body.objects.count(),
        Officer.objects.count(),
    )
    # Officers: a secretary on most party nodes, predecessors, a few vacancies.
    from organizations.models import Organization
    from organizations.selectors import vacant_nodes

    assert Officer.objects.filter(position="secretary", term_end__isnull=False).exists()
    assert Officer.objects.filter(position="household_head").exists()
    assert Officer.objects.filter(position="secretary", member__isnull=False).exists()
    assert 0 < vacant_nodes(Organization.objects.all()).count() < Officer.objects.count() / 4
    assert set(Member.objects.values_list("category", flat=True)) == {
        "in_service",
        "retired",
        "resident",
        "mobile",
        "unemployed",
    }
    street = ensure_user("street")
    stats = list(s.registration_stats(street))
    assert all(c.registered > c.claiming > 0 for c in stats)
    balance = {t.committee.code: t.balanced for t in s.three_thirds(street)}
    assert balance["TD-ZQ-YL"] and not balance["TD-ZQ-DM"]
    coverage = {r.organization.code: r for r in s.needle_coverage(street)}
    assert 0 < coverage["TD-ZQ"].party_led_share < 1
    assert 0 < coverage["TD-ZQ"].red_property_share < 1
    assert any(c.complete for c in s.six_haves_coverage(street))
    assert s.public_disclosures().exists()
    totals = {o.code: o.member_total for o in s.member_counts(street)}
    assert totals["TD-ZQ"] == Member.objects.count()
