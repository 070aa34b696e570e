"""Automatic indicators (figure registry) and the scheduled roll-up at period end."""

from datetime import UTC, date
from decimal import Decimal

import pytest
from django.conf import settings

from governance.assessment.figures import FIGURES, subtree_ratios
from governance.assessment.models import Result, RollupRun, Score
from governance.assessment.services import admission_community_refuse, admission_file
from governance.assessment.services.rollup import compute_results, fill_automatic_scores
from governance.assessment.tasks import rollup_due_task
from tests.assessment.factories import AssessmentFactory, IndicatorFactory
from tests.factories import OrganizationFactory


def nodes(*orgs):
    return [dict(id=o.id, tree_id=o.tree_id, lft=o.lft, rght=o.rght, kind=o.kind) for o in orgs]


def test_subtree_ratios_sum_rows_inside_each_range():
    targets = [
        dict(id=1, tree_id=1, lft=1, rght=10),
        dict(id=2, tree_id=1, lft=2, rght=5),
        dict(id=3, tree_id=1, lft=6, rght=9),
        dict(id=4, tree_id=2, lft=1, rght=4),
    ]
    rows = [(1, 3, 1, 1), (1, 4, 0, 1), (1, 7, 1, 1), (1, 1, 1, 1)]
    assert subtree_ratios(targets, rows) == {
        1: Decimal("0.75"),
        2: Decimal("0.5"),
        3: Decimal("1.0"),
    }


def test_branch_group_coverage(tree):
    OrganizationFactory(code="A-02", kind="compound_branch", parent=tree["community_a"])
    for node in tree.values():
        node.refresh_from_db()
    ratios = FIGURES["branch_group_coverage"].func(
        nodes(tree["community_a"], tree["community_b"], tree["branch_a"]), None
    )
    assert ratios == {
        tree["community_a"].id: Decimal("0.5"),
        tree["community_b"].id: Decimal("1.0"),
        tree["branch_a"].id: Decimal("1.0"),
    }


def test_admission_figure_counts_decided_refusable_requests(tree, users, assessment):
    kw = dict(
        department="区城管局",
        title="巡查",
        staff_count=0,
        funds=Decimal("0"),
        starts_on=date(2026, 2, 1),
    )
    first = admission_file(actor=users["cadre_a"], code="Z1", community=tree["community_a"], **kw)
    admission_file(actor=users["cadre_a"], code="Z2", community=tree["community_a"], **kw)
    admission_file(
        actor=users["cadre_a"],
        code="Z3",
        community=tree["community_a"],
        **{**kw, "starts_on": date(2026, 5, 1)},
    )  # outside Q1
    admission_community_refuse(actor=users["cadre_a"], request=first)
    ratios = FIGURES["admission_refusal_recorded"].func(
        nodes(tree["community_a"], tree["community_b"]), assessment
    )
    assert ratios == {tree["community_a"].id: Decimal("0.5")}


def test_automatic_items_are_filled_and_rolled_up(tree, users, indicator_set, assessment):
    """An automatic item (weight 40 on top of the set, max 10) scores ratio × max."""
    s = indicator_set["set"]
    auto = IndicatorFactory(
        indicator_set=s,
        parent=indicator_set["A2"],
        code="A2-auto",
        weight=Decimal("40"),
        max_score=Decimal("10"),
        source="automatic",
        figure="branch_group_coverage",
    )
    assert auto.pk
    assert fill_automatic_scores(assessment) == 4  # A, B, A-01, B-01 all have ratio 1
    values = dict(
        Score.objects.filter(source="automatic").values_list("organization__code", "value")
    )
    assert values == {
        "A": Decimal("10"),
        "B": Decimal("10"),
        "A-01": Decimal("10"),
        "B-01": Decimal("10"),
    }
    # refilled, not duplicated
    assert fill_automatic_scores(assessment) == 4 and Score.objects.count() == 4
    compute_results(assessment)
    assert (
        Result.objects.get(assessment=assessment, organization=tree["community_a"]).top_down == 40
    )


def test_scheduled_rollup_runs_once_after_period_end(
    tree, users, indicator_set, django_capture_on_commit_callbacks
):
    ended = AssessmentFactory(
        code="OLD",
        organizer=tree["street"],
        indicator_set=indicator_set["set"],
        starts_on=date(2020, 1, 1),
        ends_on=date(2020, 3, 31),
    )
    AssessmentFactory(
        code="FUTURE",
        organizer=tree["street"],
        indicator_set=indicator_set["set"],
        starts_on=date(2099, 1, 1),
        ends_on=date(2099, 3, 31),
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = rollup_due_task()
    assert len(first) == 1
    run = RollupRun.objects.get(pk=first[0])
    assert run.assessment == ended and run.trigger == "schedule" and run.status == "done"
    with django_capture_on_commit_callbacks(execute=True):
        assert rollup_due_task() == []
    assert "assessment.rollup_due" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}


@pytest.mark.parametrize("figure", sorted(FIGURES))
def test_every_registered_figure_returns_ratios_in_range(figure, tree, assessment):
    f = FIGURES[figure]
    if not f.available:
        pytest.skip(f"{f.source} not installed")
    ratios = f.func(nodes(tree["community_a"], tree["community_b"], tree["branch_a"]), assessment)
    assert all(Decimal(0) <= r <= Decimal(1) for r in ratios.values())


def test_demo_seed_is_idempotent(db, roles):
    import io

    import governance.assessment.demo as demo
    import organizations.demo as org_demo
    from core.demo import ensure_user
    from governance.assessment.models import AdmissionRequest, WorkItem

    ensure_user("admin", superuser=True)
    out = io.StringIO()
    org_demo.seed(out)
    demo.seed(out)
    demo.seed(out)
    assert WorkItem.objects.filter(version__status="published").count() == 30
    states = set(AdmissionRequest.objects.values_list("status", flat=True))
    assert states == {"pending", "approved", "refused", "community_refused"}
    assert AdmissionRequest.objects.filter(refusable=True).exists()
    assert Result.objects.values("assessment").distinct().count() == 2
    assert RollupRun.objects.filter(status="done").count() == 2


def test_six_haves_rate(tree):
    from organizations.models import SixHaves

    OrganizationFactory(code="A-02", kind="compound_branch", parent=tree["community_a"])
    for node in tree.values():
        node.refresh_from_db()
    all_six = dict(
        has_approval=True,
        has_members=True,
        has_commissioner=True,
        has_rules=True,
        has_venue=True,
        has_activities=True,
    )
    SixHaves.objects.create(branch=tree["branch_a"], **all_six)
    SixHaves.objects.create(branch=tree["branch_b"], **{**all_six, "has_venue": False})
    ratios = FIGURES["six_haves_rate"].func(nodes(tree["community_a"], tree["community_b"]), None)
    assert ratios == {
        tree["community_a"].id: Decimal("0.5"),
        tree["community_b"].id: Decimal("0.0"),
    }


def test_post_claim_rate(tree):
    from organizations.models import PostClaim
    from tests.organizations.factories import MemberFactory, PostFactory, RegistrationFactory

    post = PostFactory(community=tree["community_a"])
    regs = [
        RegistrationFactory(
            member=MemberFactory(branch=tree["branch_a"]), community=tree["community_a"]
        )
        for _ in range(4)
    ]
    PostClaim.objects.create(
        code="RL1", registration=regs[0], post=post, claimed_on=date(2025, 4, 1)
    )
    ratios = FIGURES["post_claim_rate"].func(nodes(tree["community_a"], tree["community_b"]), None)
    assert ratios == {tree["community_a"].id: Decimal("0.25")}


def test_case_figures(tree, assessment):
    from datetime import datetime

    from grids.models import Case

    def case(n, **kw):
        return Case.objects.create(
            source=Case._meta.get_field("source").choices[0][0],
            category=Case._meta.get_field("category").choices[0][0],
            description="楼道堆物",
            reporter_name="王某",
            reporter_phone="13800000000",
            community=tree["community_a"],
            reported_at=datetime(2026, 2, n, tzinfo=UTC),
            due_at=datetime(2026, 3, 1, tzinfo=UTC),
            **kw,
        )

    case(1, status="evaluated", resolved_on_time=True, satisfaction=5)
    case(2, status="resolved", resolved_on_time=False, satisfaction=3)
    case(3, status="resolved", resolved_on_time=True)
    case(4, status="reported")
    targets = nodes(tree["community_a"], tree["community_b"])
    on_time = FIGURES["case_on_time_rate"].func(targets, assessment)
    assert on_time == {tree["community_a"].id: Decimal(str(round(2 / 3, 6)))}
    satisfaction = FIGURES["case_satisfaction"].func(targets, assessment)
    assert satisfaction == {tree["community_a"].id: Decimal("0.8")}
