"""Factories of the covenants app."""

from datetime import date

import factory

from core.validators import credit_code_check_char
from covenants.choices import ActivityKind, AgreementStatus, CoBuildCategory, UnitKind
from covenants.models import (
    ActivityRecord,
    Agreement,
    AgreementClause,
    LiaisonLog,
    Need,
    PartnerUnit,
    Resource,
    ServiceProject,
    UnitPartnership,
)


def credit_code(n: int) -> str:
    """A valid GB 32100 code: 91 (enterprise) + 210302 (region) + 9 digits + check character."""
    first17 = f"91210302{n:09d}"
    return first17 + credit_code_check_char(first17)


class PartnerUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerUnit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"共建单位{n}")
    credit_code = factory.Sequence(lambda n: credit_code(n + 1))
    kind = UnitKind.STATE_ENTERPRISE
    liaison_name = "王联络"
    liaison_phone = "13812345678"


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitPartnership


class AgreementFactory(factory.django.DjangoModelFactory):
    """A signed agreement for 2026 with two clauses (use the services for workflow tests)."""

    class Meta:
        model = Agreement
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"AG{n:04d}")
    starts_on = date(2026, 1, 1)
    ends_on = date(2026, 12, 31)
    status = AgreementStatus.SIGNED
    signed_on = date(2025, 12, 20)
    party_a_signatory = "李书记"
    party_b_signatory = "赵经理"

    @factory.post_generation
    def clauses(self, create, extracted, **kwargs):
        if create:
            for i, text in enumerate(extracted or ["第一条内容", "第二条内容"], start=1):
                AgreementClause.objects.create(agreement=self, number=i, text=text)


class ServiceProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceProject

    code = factory.Sequence(lambda n: f"SP{n:04d}")
    title = factory.Sequence(lambda n: f"认领项目{n}")
    category = CoBuildCategory.LIVELIHOOD


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityRecord

    code = factory.Sequence(lambda n: f"ACT{n:05d}")
    date = date(2026, 3, 15)
    kind = ActivityKind.VOLUNTEER_SERVICE
    title = factory.Sequence(lambda n: f"活动{n}")


class LiaisonLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiaisonLog

    date = date(2026, 3, 10)
    mode = "phone"
    content = "月度联系会商"


class NeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Need

    code = factory.Sequence(lambda n: f"N{n:04d}")
    title = factory.Sequence(lambda n: f"需求{n}")
    category = CoBuildCategory.LIVELIHOOD
    source = "survey"
    reported_on = date(2026, 2, 1)


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    code = factory.Sequence(lambda n: f"R{n:04d}")
    title = factory.Sequence(lambda n: f"资源{n}")
    kind = "venue"
