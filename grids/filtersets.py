import django_filters

from grids.choices import CARE_FLAGS, CaseCategory, CaseStatus, GridLevel, ResidentType, Triage
from grids.models import (
    Building,
    Case,
    CentralHouseholdLink,
    Compound,
    Grid,
    GridWorker,
    Household,
    Resident,
    VisitLog,
)


class GridFilterSet(django_filters.FilterSet):
    level = django_filters.MultipleChoiceFilter(choices=GridLevel.choices)
    community = django_filters.CharFilter(field_name="community__code", label="社区编码")
    parent = django_filters.CharFilter(field_name="parent__code", label="上级网格编码")

    class Meta:
        model = Grid
        fields = ["level", "community", "parent"]


class GridWorkerFilterSet(django_filters.FilterSet):
    grid = django_filters.CharFilter(field_name="grid__code", label="网格编码")

    class Meta:
        model = GridWorker
        fields = ["grid", "role", "active"]


class CompoundFilterSet(django_filters.FilterSet):
    community = django_filters.CharFilter(field_name="community__code", label="社区编码")

    class Meta:
        model = Compound
        fields = ["community"]


class BuildingFilterSet(django_filters.FilterSet):
    grid = django_filters.CharFilter(field_name="grid__code", label="网格编码")
    community = django_filters.CharFilter(field_name="community__code", label="社区编码")
    compound = django_filters.CharFilter(field_name="compound__code", label="小区编码")

    class Meta:
        model = Building
        fields = ["grid", "community", "compound"]


class HouseholdFilterSet(django_filters.FilterSet):
    grid = django_filters.CharFilter(field_name="grid__code", label="网格编码")
    micro_grid = django_filters.CharFilter(field_name="micro_grid__code", label="微网格编码")
    building = django_filters.CharFilter(field_name="building__code", label="楼栋编码")

    class Meta:
        model = Household
        fields = ["grid", "micro_grid", "building"]


class ResidentFilterSet(django_filters.FilterSet):
    household = django_filters.CharFilter(field_name="household__code", label="户编码")
    grid = django_filters.CharFilter(field_name="household__grid__code", label="网格编码")
    resident_type = django_filters.ChoiceFilter(choices=ResidentType.choices)

    class Meta:
        model = Resident
        fields = ["household", "grid", "resident_type", *CARE_FLAGS]


class CentralHouseholdLinkFilterSet(django_filters.FilterSet):
    organization = django_filters.CharFilter(field_name="organization__code", label="中心户编码")
    household = django_filters.CharFilter(field_name="household__code", label="户编码")

    class Meta:
        model = CentralHouseholdLink
        fields = ["organization", "household"]


class VisitLogFilterSet(django_filters.FilterSet):
    household = django_filters.CharFilter(field_name="household__code", label="户编码")

    class Meta:
        model = VisitLog
        fields = ["household", "visitor_kind", "visited_on"]


class CaseFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    category = django_filters.MultipleChoiceFilter(choices=CaseCategory.choices)
    triage = django_filters.ChoiceFilter(choices=Triage.choices)
    community = django_filters.CharFilter(field_name="community__code", label="社区编码")
    grid = django_filters.CharFilter(field_name="grid__code", label="网格编码")
    reported_after = django_filters.DateFilter(field_name="reported_at", lookup_expr="date__gte")
    reported_before = django_filters.DateFilter(field_name="reported_at", lookup_expr="date__lte")

    class Meta:
        model = Case
        fields = ["status", "category", "triage", "community", "grid", "source"]
