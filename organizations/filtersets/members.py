"""Filters for the member, 双报到, seat and needle lists (codes, never database ids)."""

import django_filters

from organizations.choices import BodyKind, Grade, MemberCategory, MemberStatus, PostKind, SeatType
from organizations.models import (
    Appraisal,
    Body,
    CommitteeSeat,
    CommunityRegistration,
    Member,
    MemberActivity,
    Organization,
    Post,
    PostClaim,
    SentDownCadre,
)


class SubtreeFilterMixin:
    """``?subtree_of=<组织编码>``: rows anchored anywhere in that node's subtree."""

    subtree_path = ""

    def filter_subtree(self, queryset, name, value):
        root = Organization.objects.filter(code=value).values("tree_id", "lft", "rght").first()
        if root is None:
            return queryset.none()
        p = self.subtree_path
        return queryset.filter(
            **{
                f"{p}__tree_id": root["tree_id"],
                f"{p}__lft__gte": root["lft"],
                f"{p}__lft__lte": root["rght"],
            }
        )


class MemberFilterSet(SubtreeFilterMixin, django_filters.FilterSet):
    subtree_path = "branch"
    category = django_filters.MultipleChoiceFilter(choices=MemberCategory.choices)
    status = django_filters.ChoiceFilter(choices=MemberStatus.choices)
    branch = django_filters.CharFilter(field_name="branch__code", label="所在党组织编码")
    subtree_of = django_filters.CharFilter(method="filter_subtree", label="组织编码（含全部下级）")
    work_unit = django_filters.CharFilter(field_name="work_unit__code", label="工作单位编码")

    class Meta:
        model = Member
        fields = ["category", "status", "gender", "branch", "subtree_of", "work_unit"]


class PostFilterSet(django_filters.FilterSet):
    community = django_filters.CharFilter(field_name="community__code", label="社区编码")
    kind = django_filters.MultipleChoiceFilter(choices=PostKind.choices)

    class Meta:
        model = Post
        fields = ["community", "kind", "is_active"]


class RegistrationFilterSet(django_filters.FilterSet):
    community = django_filters.CharFilter(field_name="community__code", label="社区编码")
    member = django_filters.CharFilter(field_name="member__code", label="党员编号")
    registered_after = django_filters.DateFilter(field_name="registered_on", lookup_expr="gte")

    class Meta:
        model = CommunityRegistration
        fields = ["community", "member", "registered_after"]


class ClaimFilterSet(django_filters.FilterSet):
    post = django_filters.CharFilter(field_name="post__code", label="岗位编码")
    registration = django_filters.CharFilter(field_name="registration__code", label="报到编号")

    class Meta:
        model = PostClaim
        fields = ["post", "registration"]


class MemberActivityFilterSet(django_filters.FilterSet):
    registration = django_filters.CharFilter(field_name="registration__code", label="报到编号")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = MemberActivity
        fields = ["registration", "date_from", "date_to"]


class AppraisalFilterSet(django_filters.FilterSet):
    member = django_filters.CharFilter(field_name="member__code", label="党员编号")
    grade = django_filters.ChoiceFilter(choices=Grade.choices)

    class Meta:
        model = Appraisal
        fields = ["member", "year", "grade", "award_eligible"]


class SeatFilterSet(django_filters.FilterSet):
    committee = django_filters.CharFilter(field_name="committee__code", label="党委编码")
    seat_type = django_filters.ChoiceFilter(choices=SeatType.choices)

    class Meta:
        model = CommitteeSeat
        fields = ["committee", "seat_type"]


class CadreFilterSet(django_filters.FilterSet):
    community = django_filters.CharFilter(field_name="community__code", label="社区编码")

    class Meta:
        model = SentDownCadre
        fields = ["community"]


class BodyFilterSet(django_filters.FilterSet):
    community = django_filters.CharFilter(field_name="community__code", label="社区编码")
    kind = django_filters.MultipleChoiceFilter(choices=BodyKind.choices)

    class Meta:
        model = Body
        fields = ["community", "kind", "is_party_led"]
