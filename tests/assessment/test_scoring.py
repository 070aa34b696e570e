"""上考 rules: max score, scorer strictly above and in scope, right kind; weights; 下评."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from governance.assessment.models import Score
from governance.assessment.services import (
    assessment_create,
    indicator_set_activate,
    score_enter,
    tally_record,
    weight_errors,
)
from tests.assessment.factories import IndicatorFactory, IndicatorSetFactory

D = Decimal


def enter(user, assessment, org, item, value):
    return score_enter(
        actor=user, assessment=assessment, organization=org, indicator=item, value=D(value)
    )


def test_score_above_max_is_refused(tree, users, indicator_set, assessment):
    with pytest.raises(ValidationError, match="超过该条目满分"):
        enter(users["street"], assessment, tree["community_a"], indicator_set["a"], "10.5")
    assert not Score.objects.exists()


def test_scorer_must_be_strictly_above(tree, users, indicator_set, assessment):
    # A's secretary scores A's branch, not A itself (上考: the level above scores)
    enter(users["cadre_a"], assessment, tree["branch_a"], indicator_set["a"], "9")
    with pytest.raises(PermissionDenied):
        enter(users["cadre_a"], assessment, tree["community_a"], indicator_set["a"], "9")
    with pytest.raises(PermissionDenied):
        enter(users["cadre_b"], assessment, tree["branch_a"], indicator_set["a"], "9")
    assert Score.objects.count() == 1
    assert AuditLog.objects.filter(action="assessment.score").count() == 1


def test_wrong_kind_and_outside_the_assessment_are_refused(tree, users, indicator_set, assessment):
    with pytest.raises(ValidationError, match="只考核"):
        enter(users["street"], assessment, tree["group_a"], indicator_set["a"], "5")
    with pytest.raises(ValidationError, match="不在本次考核"):
        enter(users["root"], assessment, tree["street"], indicator_set["a"], "5")


def test_aspect_cannot_be_scored(tree, users, indicator_set, assessment):
    with pytest.raises(ValidationError, match="方面"):
        enter(users["street"], assessment, tree["community_a"], indicator_set["A1"], "5")


def test_score_entered_twice_is_corrected(tree, users, indicator_set, assessment):
    enter(users["street"], assessment, tree["community_a"], indicator_set["a"], "5")
    enter(users["street"], assessment, tree["community_a"], indicator_set["a"], "7")
    assert list(Score.objects.values_list("value", flat=True)) == [D("7")]


def test_weights_must_sum_as_configured(users):
    s = IndicatorSetFactory(code="W", status="draft")
    a1 = IndicatorFactory(indicator_set=s, code="A1", weight=D("60"))
    IndicatorFactory(indicator_set=s, code="A2", weight=D("30"))
    IndicatorFactory(indicator_set=s, parent=a1, code="A1-1", weight=D("50"), max_score=10)
    errors = weight_errors(s, list(s.indicators.select_related("parent")))
    assert any("各方面权重之和为 90" in e for e in errors)
    assert any("A1" in e and "50" in e for e in errors)
    assert any("A2" in e and "没有条目" in e for e in errors)
    with pytest.raises(ValidationError):
        indicator_set_activate(actor=users["street"], indicator_set=s)
    s.refresh_from_db()
    assert s.status == "draft"


def test_assessment_needs_an_active_set_and_weights_summing_to_one(tree, users):
    s = IndicatorSetFactory(code="D", status="draft")
    base = dict(
        code="K1",
        name="x",
        organizer=tree["street"],
        indicator_set=s,
        period_kind="quarter",
        starts_on="2026-01-01",
        ends_on="2026-03-31",
    )
    with pytest.raises(ValidationError, match="尚未启用"):
        assessment_create(actor=users["street"], **base)
    s.status = "active"
    s.save()
    with pytest.raises(ValidationError, match="之和必须等于 1"):
        assessment_create(
            actor=users["street"], **base, top_down_weight=D("0.6"), bottom_up_weight=D("0.3")
        )
    assert assessment_create(actor=users["street"], **base).pk


def test_tally_needs_ballots_and_scope(tree, users, assessment):
    with pytest.raises(ValidationError):
        tally_record(
            actor=users["street"],
            assessment=assessment,
            organization=tree["community_a"],
            voter_kind="member",
            satisfied=0,
            basically_satisfied=0,
            dissatisfied=0,
        )
    with pytest.raises(ValidationError, match="对象不存在"):  # out of reach: like unknown
        tally_record(
            actor=users["cadre_b"],
            assessment=assessment,
            organization=tree["community_a"],
            voter_kind="member",
            satisfied=3,
            basically_satisfied=0,
            dissatisfied=0,
        )


def test_only_street_or_above_manages_indicator_sets(tree, users, api):
    from governance.assessment.services import can_manage_indicator_sets

    assert can_manage_indicator_sets(users["street"]) and can_manage_indicator_sets(users["root"])
    assert not can_manage_indicator_sets(users["cadre_a"])
    s = IndicatorSetFactory(code="M", status="draft")
    with pytest.raises(PermissionDenied):
        indicator_set_activate(actor=users["cadre_a"], indicator_set=s)
    r = api(users["cadre_a"]).patch("/api/v1/indicator-sets/M/", {"name": "改"}, format="json")
    assert r.status_code == 403
    r = api(users["street"]).patch("/api/v1/indicator-sets/M/", {"name": "改"}, format="json")
    assert r.status_code == 200
