"""Factories for the work list, admission and assessment."""

from datetime import date
from decimal import Decimal

import factory

from governance.assessment.choices import Holder, Responsibility
from governance.assessment.models import (
    AdmissionRequest,
    Assessment,
    Indicator,
    IndicatorSet,
    WorkItem,
    WorkListVersion,
)


class WorkListVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkListVersion

    code = factory.Sequence(lambda n: f"WL-{n:03d}")
    title = "社区工作事项清单"


class WorkItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkItem

    code = factory.Sequence(lambda n: f"WI-{n:04d}")
    seq = factory.Sequence(lambda n: n + 1)
    holder = Holder.WORKSTATION
    responsibility = Responsibility.LEAD
    title = factory.Sequence(lambda n: f"事项{n}")


class AdmissionRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdmissionRequest

    code = factory.Sequence(lambda n: f"ZR-{n:04d}")
    department = "区民政局"
    title = factory.Sequence(lambda n: f"入户调查{n}")
    staff_count = 1
    funds = Decimal("5000")
    starts_on = date(2026, 4, 1)


class IndicatorSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorSet

    code = factory.Sequence(lambda n: f"SET-{n:03d}")
    name = "社区党建目标考核"
    weight_total = Decimal("100")
    assessed_kinds = factory.LazyFunction(lambda: ["community_committee", "compound_branch"])
    status = "active"


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    code = factory.Sequence(lambda n: f"I{n:03d}")
    name = factory.Sequence(lambda n: f"指标{n}")
    weight = Decimal("10")


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    code = factory.Sequence(lambda n: f"KH-{n:03d}")
    name = "2026年第一季度考核"
    period_kind = "quarter"
    starts_on = date(2026, 1, 1)
    ends_on = date(2026, 3, 31)
    top_down_weight = Decimal("0.70")
    bottom_up_weight = Decimal("0.30")
