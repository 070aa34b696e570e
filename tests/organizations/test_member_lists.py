"""Every list of issue 3 costs a fixed number of queries whatever the page size (API and
admin), and only shows rows of the caller's scope."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.models import (
    Appraisal,
    Body,
    CommitteeSeat,
    FinancialDisclosure,
    MemberActivity,
    PostClaim,
    SentDownCadre,
    SixHaves,
    StandingAppointment,
)
from organizations.services import members as services
from tests.factories import OrganizationFactory
from tests.organizations.factories import MemberFactory, PostFactory, RegistrationFactory

pytestmark = pytest.mark.django_db
N = 12


def build(kind, tree, unit, root):
    a, b = tree["community_a"], tree["community_b"]
    for i in range(N):
        for community, branch in ((a, tree["branch_a"]), (b, tree["branch_b"])):
            if kind == "posts":
                PostFactory(community=community)
            elif kind in ("registrations", "post-claims", "member-activities", "appraisals"):
                reg = RegistrationFactory(member=MemberFactory(branch=branch), community=community)
                post = PostFactory(community=community)
                PostClaim.objects.create(registration=reg, post=post, claimed_on=date(2025, 4, 1))
                MemberActivity.objects.create(
                    registration=reg, post=post, date=date(2025, 4, 2), hours=2, content="服务"
                )
                Appraisal.objects.create(
                    member=reg.member,
                    year=2025,
                    feedback_community=community,
                    feedback_grade="qualified",
                )
            elif kind == "committee-seats":
                CommitteeSeat.objects.create(
                    committee=community,
                    person_name=f"委员{i}",
                    seat_type="unit_member",
                    unit=unit,
                    member=MemberFactory(branch=branch),
                    term_start=date(2024, 1, 1),
                )
            elif kind == "standing-appointments":
                StandingAppointment.objects.create(
                    community=community,
                    kind="commissioner",
                    person_name=f"专员{i}",
                    sending_unit=unit,
                    start_date=date(2024, 1, 1),
                )
            elif kind == "sent-down-cadres":
                services.sent_down_cadre_save(
                    actor=root,
                    cadre=SentDownCadre(
                        community=community,
                        person_name=f"干部{i}",
                        unit=unit,
                        start_date=date(2024, 1, 1),
                    ),
                    weekdays=[i % 5, (i + 2) % 5],
                )
            elif kind in ("bodies", "financial-disclosures"):
                company = Body.objects.create(
                    community=community, kind="shareholding_company", name=f"公司{i}"
                )
                FinancialDisclosure.objects.create(
                    body=company,
                    period="2025年度",
                    period_start=date(2025, 1, 1),
                    period_end=date(2025, 12, 31),
                    title="公开",
                )
            elif kind == "six-haves":
                compound = OrganizationFactory(
                    code=f"{community.code}-X{i:02d}", kind="compound_branch", parent=community
                )
                SixHaves.objects.create(branch=compound, has_members=True)


# endpoint → queries per list request (auth forced: scope and permissions in one statement,
# count, page [, prefetch]); the same for both page sizes.
ENDPOINTS = {
    "posts": 3,
    "registrations": 3,
    "post-claims": 3,
    "member-activities": 3,
    "appraisals": 3,
    "committee-seats": 3,
    "standing-appointments": 3,
    "sent-down-cadres": 4,
    "bodies": 3,
    "financial-disclosures": 3,
    "six-haves": 3,
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_api_lists_fixed_queries_and_scoped(api, users, tree, unit, endpoint):
    build(endpoint, tree, unit, users["root"])
    counts = []
    for page_size in (3, 10):
        # A fresh user object per request, as in production (no cached scope or permissions).
        client = api(type(users["cadre_a"]).objects.get(pk=users["cadre_a"].pk))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/{endpoint}/", {"page_size": page_size})
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert len(body["results"]) == page_size
        assert body["count"] == N
        counts.append(len(queries))
    assert counts == [ENDPOINTS[endpoint]] * 2


ADMIN = {
    "post": "posts",
    "communityregistration": "registrations",
    "postclaim": "post-claims",
    "memberactivity": "member-activities",
    "appraisal": "appraisals",
    "committeeseat": "committee-seats",
    "standingappointment": "standing-appointments",
    "sentdowncadre": "sent-down-cadres",
    "body": "bodies",
    "financialdisclosure": "financial-disclosures",
    "sixhaves": "six-haves",
}


@pytest.mark.parametrize("model", sorted(ADMIN))
def test_admin_changelists_fixed_queries_and_scoped(admin_client_for, users, tree, unit, model):
    from django.contrib import admin

    build(ADMIN[model], tree, unit, users["root"])
    model_admin = next(
        a
        for m, a in admin.site._registry.items()
        if m._meta.model_name == model and m._meta.app_label == "organizations"
    )
    client = admin_client_for(users["cadre_a"])
    url = reverse(f"admin:organizations_{model}_changelist")
    client.get(url)
    counts = []
    original = model_admin.list_per_page
    try:
        for per_page in (3, 10):
            model_admin.list_per_page = per_page
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200
            assert response.content.decode().count('class="action-select"') == per_page
            counts.append(len(queries))
    finally:
        model_admin.list_per_page = original
    assert counts[0] == counts[1], counts
