"""Fixtures for the assessment tests: a small indicator set and an assessment by the street."""

from decimal import Decimal

import pytest

from tests.assessment.factories import (
    AssessmentFactory,
    IndicatorFactory,
    IndicatorSetFactory,
)


@pytest.fixture
def indicator_set(db):
    """Two aspects (60 + 40): A1 = items a (weight 40, max 10) + b (20, max 5);
    A2 = item c (40, max 100)."""
    s = IndicatorSetFactory(code="SET", weight_total=Decimal("100"))
    a1 = IndicatorFactory(indicator_set=s, code="A1", name="组织建设", weight=Decimal("60"))
    a2 = IndicatorFactory(indicator_set=s, code="A2", name="服务群众", weight=Decimal("40"))
    items = {
        "a": IndicatorFactory(
            indicator_set=s, parent=a1, code="A1-a", weight=Decimal("40"), max_score=10
        ),
        "b": IndicatorFactory(
            indicator_set=s, parent=a1, code="A1-b", weight=Decimal("20"), max_score=5
        ),
        "c": IndicatorFactory(
            indicator_set=s, parent=a2, code="A2-c", weight=Decimal("40"), max_score=100
        ),
    }
    return {"set": s, "A1": a1, "A2": a2, **items}


@pytest.fixture
def assessment(tree, indicator_set):
    return AssessmentFactory(
        code="KH", organizer=tree["street"], indicator_set=indicator_set["set"]
    )
