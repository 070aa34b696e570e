import django_filters

from organizations.choices import OfficerPosition
from organizations.filtersets.members import SubtreeFilterMixin
from organizations.models import Officer, current_q


class OfficerFilterSet(SubtreeFilterMixin, django_filters.FilterSet):
    subtree_path = "organization"
    organization = django_filters.CharFilter(field_name="organization__code", label="所在组织编码")
    subtree_of = django_filters.CharFilter(method="filter_subtree", label="组织编码（含全部下级）")
    position = django_filters.MultipleChoiceFilter(choices=OfficerPosition.choices)
    building = django_filters.CharFilter(field_name="building__code", label="楼栋编码")
    grid = django_filters.CharFilter(field_name="grid__code", label="网格编码")
    current = django_filters.BooleanFilter(method="filter_current", label="今日在任")

    class Meta:
        model = Officer
        fields = ["organization", "position", "building", "grid"]

    def filter_current(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(current_q()) if value else queryset.exclude(current_q())
