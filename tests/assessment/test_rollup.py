"""Weighted scoring and roll-up against hand-computed totals; idempotency; ties; the task."""

from decimal import Decimal

import pytest

from core.models import AuditLog
from governance.assessment.models import Result, RollupRun
from governance.assessment.selectors import ranking
from governance.assessment.services import rollup_request, score_enter, tally_record
from governance.assessment.services.rollup import compute_results

D = Decimal


@pytest.fixture
def scored(tree, users, indicator_set, assessment):
    street, cadre_a = users["street"], users["cadre_a"]
    i = indicator_set

    def enter(actor, org, values):
        for key, value in zip("abc", values, strict=True):
            score_enter(
                actor=actor,
                assessment=assessment,
                organization=tree[org],
                indicator=i[key],
                value=D(value),
            )

    # community A: 10/10×40 + 2.5/5×20 + 50/100×40 = 40 + 10 + 20 = 70
    enter(street, "community_a", ["10", "2.5", "50"])
    # community B: 20 + 20 + 40 = 80
    enter(street, "community_b", ["5", "5", "100"])
    # branch A-01 (scored by A's secretary): 32 + 20 + 8 = 60
    enter(cadre_a, "branch_a", ["8", "5", "20"])
    # branch B-01 (scored by the street): 40 + 0 + 20 = 60 → a tie with A-01
    enter(street, "branch_b", ["10", "0", "50"])
    # 下评 for A: (8×100 + 2×60) / 10 = 92 → own = 70×0.7 + 92×0.3 = 76.6
    tally_record(
        actor=street,
        assessment=assessment,
        organization=tree["community_a"],
        voter_kind="resident",
        satisfied=8,
        basically_satisfied=2,
        dissatisfied=0,
    )
    return assessment


def _results(assessment):
    return {
        r.organization.code: r
        for r in Result.objects.filter(assessment=assessment).select_related("organization")
    }


def run_rollup(actor, assessment, capture):
    with capture(execute=True):
        return rollup_request(actor=actor, assessment=assessment)


def test_rollup_matches_hand_computed_totals(scored, users, django_capture_on_commit_callbacks):
    run = run_rollup(users["street"], scored, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert run.status == "done" and run.progress == 100 and run.result_count == 5
    r = _results(scored)
    assert set(r) == {"S", "A", "B", "A-01", "B-01"}
    assert r["A"].top_down == D("70") and r["A"].bottom_up == D("92")
    assert r["A"].own_score == D("76.6")
    assert r["B"].own_score == D("80") and r["B"].bottom_up is None
    assert r["A-01"].own_score == D("60") and r["B-01"].own_score == D("60")
    # subtree: A = (76.6 + 60) / 2; street = (76.6 + 80 + 60 + 60) / 4, no own score
    assert (r["A"].subtree_count, r["A"].subtree_average) == (2, D("68.3"))
    assert r["S"].own_score is None
    assert (r["S"].subtree_count, r["S"].rank_score) == (4, D("69.15"))
    # ranks within a kind: B before A; the two branches tie and share rank 1
    assert (r["B"].rank, r["A"].rank, r["A"].rank_of) == (1, 2, 2)
    assert (r["A-01"].rank, r["B-01"].rank, r["B-01"].rank_of) == (1, 1, 2)
    assert AuditLog.objects.filter(action="assessment.rollup", target_id=str(scored.pk)).exists()


def test_rollup_is_idempotent(scored, users, django_capture_on_commit_callbacks):
    run_rollup(users["street"], scored, django_capture_on_commit_callbacks)
    first = sorted(
        Result.objects.filter(assessment=scored).values_list(
            "organization__code", "own_score", "subtree_average", "rank", "rank_of"
        )
    )
    run_rollup(users["street"], scored, django_capture_on_commit_callbacks)
    second = sorted(
        Result.objects.filter(assessment=scored).values_list(
            "organization__code", "own_score", "subtree_average", "rank", "rank_of"
        )
    )
    assert first == second and len(second) == 5
    assert RollupRun.objects.filter(assessment=scored, status="done").count() == 2


def test_ranking_reads_stored_rows_in_one_query(scored, users, django_assert_num_queries):
    compute_results(scored)
    with django_assert_num_queries(1):
        rows = list(ranking(scored, "compound_branch"))
    assert [(r.organization.code, r.rank) for r in rows] == [("A-01", 1), ("B-01", 1)]


def test_ranking_is_scoped(scored, users):
    compute_results(scored)
    rows = ranking(scored, "community_committee", users["cadre_b"])
    assert [r.organization.code for r in rows] == ["B"]


def test_changed_score_changes_result_on_next_run(scored, users, tree, indicator_set):
    compute_results(scored)
    score_enter(
        actor=users["street"],
        assessment=scored,
        organization=tree["community_b"],
        indicator=indicator_set["c"],
        value=D("0"),
    )
    compute_results(scored)
    r = _results(scored)
    assert r["B"].own_score == D("40")
    assert (r["A"].rank, r["B"].rank) == (1, 2)
