import django_filters

from covenants.choices import (
    ActivityKind,
    AgreementStatus,
    CoBuildCategory,
    Grade,
    NeedStatus,
    ResourceKind,
    UnitKind,
)
from covenants.models import (
    ActivityRecord,
    Agreement,
    LiaisonLog,
    Need,
    PartnerUnit,
    Resource,
    UnitAssessment,
)


class PartnerUnitFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=UnitKind.choices)
    organization = django_filters.CharFilter(field_name="organization__code", label="登记组织编码")
    partner = django_filters.CharFilter(method="filter_partner", label="共建社区/街道编码")
    credit_code = django_filters.CharFilter(label="统一社会信用代码")

    class Meta:
        model = PartnerUnit
        fields = ["kind", "organization", "partner", "credit_code"]

    def filter_partner(self, queryset, name, value):
        # Only partnerships within the user's scope count: another community's code must
        # answer like an unknown one (no oracle on who co-builds with whom).
        from organizations.models import Organization

        user = getattr(self.request, "user", None)
        partners = Organization.objects.visible_to(user).filter(code=value)
        return queryset.filter(partners__in=partners).distinct()


class AgreementFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AgreementStatus.choices)
    party_a = django_filters.CharFilter(field_name="party_a__code", label="甲方编码")
    unit = django_filters.CharFilter(field_name="unit__code", label="单位编码")
    ends_before = django_filters.DateFilter(field_name="ends_on", lookup_expr="lte")
    ends_after = django_filters.DateFilter(field_name="ends_on", lookup_expr="gte")

    class Meta:
        model = Agreement
        fields = ["status", "party_a", "unit"]


class ActivityFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=ActivityKind.choices)
    category = django_filters.ChoiceFilter(
        field_name="project__category", choices=CoBuildCategory.choices
    )
    unit = django_filters.CharFilter(field_name="project__agreement__unit__code")
    project = django_filters.CharFilter(field_name="project__code")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    confirmed = django_filters.BooleanFilter(
        field_name="confirmed_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = ActivityRecord
        fields = ["kind", "category", "unit", "project"]


class LiaisonLogFilterSet(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code")
    organization = django_filters.CharFilter(field_name="organization__code")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = LiaisonLog
        fields = ["unit", "organization", "mode"]


class NeedFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=NeedStatus.choices)
    organization = django_filters.CharFilter(field_name="organization__code")

    class Meta:
        model = Need
        fields = ["status", "category", "source", "organization"]


class ResourceFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=ResourceKind.choices)
    unit = django_filters.CharFilter(field_name="unit__code")

    class Meta:
        model = Resource
        fields = ["kind", "unit", "available"]


class UnitAssessmentFilterSet(django_filters.FilterSet):
    grade = django_filters.MultipleChoiceFilter(choices=Grade.choices)
    unit = django_filters.CharFilter(field_name="unit__code")
    organization = django_filters.CharFilter(field_name="organization__code")

    class Meta:
        model = UnitAssessment
        fields = ["year", "grade", "unit", "organization"]
