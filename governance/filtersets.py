import django_filters

from governance.choices import Cadence, MeetingStatus, SeriesKind, TaskStatus
from governance.models import Meeting, MeetingSeries, Task


class MeetingSeriesFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=SeriesKind.choices)
    cadence = django_filters.MultipleChoiceFilter(choices=Cadence.choices)
    body = django_filters.CharFilter(field_name="body__code", label="召集组织编码")

    class Meta:
        model = MeetingSeries
        fields = ["kind", "cadence", "body", "active"]


class MeetingFilterSet(django_filters.FilterSet):
    series = django_filters.CharFilter(field_name="series__code", label="会议制度编码")
    body = django_filters.CharFilter(field_name="series__body__code", label="召集组织编码")
    status = django_filters.MultipleChoiceFilter(choices=MeetingStatus.choices)
    planned_after = django_filters.DateFilter(field_name="planned_on", lookup_expr="gte")
    planned_before = django_filters.DateFilter(field_name="planned_on", lookup_expr="lte")

    class Meta:
        model = Meeting
        fields = ["series", "body", "status", "planned_after", "planned_before"]


class TaskFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices)
    organization = django_filters.CharFilter(field_name="organization__code", label="派单组织编码")
    overdue_on = django_filters.DateFilter(method="filter_overdue", label="截至该日逾期未办结")

    class Meta:
        model = Task
        fields = ["status", "organization", "overdue_on"]

    def filter_overdue(self, queryset, name, value):
        from governance.choices import OPEN_TASK_STATUSES

        return queryset.filter(status__in=OPEN_TASK_STATUSES, deadline__lt=value)
