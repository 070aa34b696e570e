import django_filters

from core.api.filters import UtcIsoDateTimeFilter
from volunteers.choices import (
    ActivityStatus,
    HoursSource,
    PersonKind,
    SignUpStatus,
    TeamKind,
    VolunteerStatus,
    WishStatus,
)
from volunteers.models import Activity, HoursEntry, SignUp, Team, Volunteer, Wish


class VolunteerFilterSet(django_filters.FilterSet):
    community = django_filters.CharFilter(field_name="community__code", label="服务社区编码")
    status = django_filters.MultipleChoiceFilter(choices=VolunteerStatus.choices)
    person_kind = django_filters.ChoiceFilter(choices=PersonKind.choices)
    skill = django_filters.CharFilter(field_name="skills__code", label="技能编码")

    class Meta:
        model = Volunteer
        fields = ["community", "status", "person_kind", "skill"]


class TeamFilterSet(django_filters.FilterSet):
    community = django_filters.CharFilter(field_name="community__code", label="社区编码")
    kind = django_filters.MultipleChoiceFilter(choices=TeamKind.choices)

    class Meta:
        model = Team
        fields = ["community", "kind", "is_temporary"]


class ActivityFilterSet(django_filters.FilterSet):
    organizer = django_filters.CharFilter(field_name="organizer__code", label="主办组织编码")
    team = django_filters.CharFilter(field_name="team__code", label="服务队编码")
    status = django_filters.ChoiceFilter(choices=ActivityStatus.choices)
    starts_after = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Activity
        fields = ["organizer", "team", "status", "starts_after", "starts_before"]


class SignUpFilterSet(django_filters.FilterSet):
    activity = django_filters.CharFilter(field_name="activity__code", label="活动编码")
    volunteer = django_filters.CharFilter(field_name="volunteer__number", label="志愿者编号")
    status = django_filters.ChoiceFilter(choices=SignUpStatus.choices)

    class Meta:
        model = SignUp
        fields = ["activity", "volunteer", "status"]


class HoursEntryFilterSet(django_filters.FilterSet):
    volunteer = django_filters.CharFilter(field_name="volunteer__number", label="志愿者编号")
    activity = django_filters.CharFilter(field_name="activity__code", label="活动编码")
    source = django_filters.ChoiceFilter(choices=HoursSource.choices)
    served_from = django_filters.DateFilter(field_name="served_on", lookup_expr="gte")
    served_to = django_filters.DateFilter(field_name="served_on", lookup_expr="lte")

    class Meta:
        model = HoursEntry
        fields = ["volunteer", "activity", "source", "served_from", "served_to"]


class WishFilterSet(django_filters.FilterSet):
    community = django_filters.CharFilter(field_name="community__code", label="社区编码")
    status = django_filters.MultipleChoiceFilter(choices=WishStatus.choices)

    class Meta:
        model = Wish
        fields = ["community", "status"]
