"""Serializers for members, 双报到, seats, standing posts, the six needles and 六有.
Links are codes (``SlugRelatedField``), ID numbers and phones are always masked in responses."""

from rest_framework import serializers

from core.api.fields import MaskedCharField
from core.api.serializers import ScopedModelSerializer
from covenants.models import PartnerUnit
from organizations.models import (
    Appraisal,
    Body,
    CommitteeSeat,
    CommunityRegistration,
    FinancialDisclosure,
    Member,
    MemberActivity,
    Organization,
    Post,
    PostClaim,
    SentDownCadre,
    SixHaves,
    StandingAppointment,
)


def org_link(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Organization.objects.all(), **kwargs
    )


def unit_link(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="code",
        queryset=PartnerUnit.objects.all(),
        allow_null=True,
        required=False,
        **kwargs,
    )


class CodedSerializer(ScopedModelSerializer):
    """Codes are checked for uniqueness by the model's full_clean inside the service."""

    def get_extra_kwargs(self):
        extra = super().get_extra_kwargs()
        extra.setdefault("code", {})["validators"] = []
        extra["code"]["required"] = False
        return extra


class MemberSerializer(CodedSerializer):
    id_number = MaskedCharField(kind="id", max_length=18, help_text="身份证号（返回时脱敏）")
    phone = MaskedCharField(
        kind="phone",
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="联系电话（返回时脱敏）",
    )
    branch = org_link(help_text="所在党组织编码")
    work_unit = unit_link(help_text="工作单位编码")
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    branch_name = serializers.CharField(source="branch.name", read_only=True)

    class Meta:
        model = Member
        fields = [
            "code",
            "name",
            "gender",
            "birth_date",
            "id_number",
            "phone",
            "category",
            "category_display",
            "status",
            "branch",
            "branch_name",
            "join_date",
            "work_unit",
            "address",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"birth_date": {"required": False}}


class MemberCountSerializer(ScopedModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    member_total = serializers.IntegerField(help_text="本组织及全部下级组织的党员数")
    member_direct = serializers.IntegerField(help_text="直接隶属本组织的党员数")

    class Meta:
        model = Organization
        fields = ["code", "name", "kind", "parent", "level", "member_total", "member_direct"]


class PostSerializer(CodedSerializer):
    community = org_link(help_text="设岗社区编码")
    claim_count = serializers.SerializerMethodField()

    def get_claim_count(self, post) -> int:
        # Lists annotate it (one query); a created or updated post counts its own.
        count = getattr(post, "claim_count", None)
        return post.claims.count() if count is None else count

    class Meta:
        model = Post
        fields = [
            "code",
            "community",
            "kind",
            "name",
            "duties",
            "capacity",
            "is_active",
            "claim_count",
        ]


class RegistrationSerializer(CodedSerializer):
    member = serializers.SlugRelatedField(
        slug_field="code", queryset=Member.objects.all(), help_text="党员编号"
    )
    member_name = serializers.CharField(source="member.name", read_only=True)
    community = org_link(help_text="报到社区编码")
    branch = org_link(allow_null=True, required=False, help_text="编入党支部编码")

    class Meta:
        model = CommunityRegistration
        fields = [
            "code",
            "member",
            "member_name",
            "community",
            "branch",
            "registered_on",
            "residence",
        ]


class PostClaimSerializer(CodedSerializer):
    registration = serializers.SlugRelatedField(
        slug_field="code", queryset=CommunityRegistration.objects.all(), help_text="报到编号"
    )
    post = serializers.SlugRelatedField(
        slug_field="code", queryset=Post.objects.all(), help_text="岗位编码"
    )
    member_name = serializers.CharField(source="registration.member.name", read_only=True)
    post_name = serializers.CharField(source="post.name", read_only=True)

    class Meta:
        model = PostClaim
        fields = ["code", "registration", "member_name", "post", "post_name", "claimed_on"]


class MemberActivitySerializer(CodedSerializer):
    registration = serializers.SlugRelatedField(
        slug_field="code", queryset=CommunityRegistration.objects.all(), help_text="报到编号"
    )
    post = serializers.SlugRelatedField(
        slug_field="code", queryset=Post.objects.all(), allow_null=True, required=False
    )
    member_name = serializers.CharField(source="registration.member.name", read_only=True)

    class Meta:
        model = MemberActivity
        fields = [
            "code",
            "registration",
            "member_name",
            "post",
            "date",
            "hours",
            "content",
            "confirmed_by",
        ]


class AppraisalSerializer(CodedSerializer):
    member = serializers.SlugRelatedField(
        slug_field="code", queryset=Member.objects.all(), help_text="党员编号"
    )
    member_name = serializers.CharField(source="member.name", read_only=True)
    feedback_community = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Appraisal
        fields = [
            "code",
            "member",
            "member_name",
            "year",
            "feedback_community",
            "feedback_grade",
            "feedback_hours",
            "feedback_comment",
            "feedback_sent_on",
            "grade",
            "award_eligible",
        ]
        read_only_fields = [
            "feedback_grade",
            "feedback_hours",
            "feedback_comment",
            "feedback_sent_on",
            "award_eligible",
        ]


class FeedbackSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1921, max_value=2100)
    grade = serializers.ChoiceField(choices=Appraisal._meta.get_field("grade").choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    sent_on = serializers.DateField(required=False, allow_null=True, default=None)


class ConcludeSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(
        choices=Appraisal._meta.get_field("grade").choices, required=False, allow_blank=True
    )


class CommitteeSeatSerializer(CodedSerializer):
    committee = org_link(help_text="所在党委编码")
    member = serializers.SlugRelatedField(
        slug_field="code", queryset=Member.objects.all(), allow_null=True, required=False
    )
    unit = unit_link(help_text="来自单位编码")
    phone = MaskedCharField(kind="phone", max_length=32, required=False, allow_blank=True)

    class Meta:
        model = CommitteeSeat
        fields = [
            "code",
            "committee",
            "person_name",
            "member",
            "seat_type",
            "position",
            "unit",
            "phone",
            "term_start",
            "term_end",
        ]


class ThreeThirdsSerializer(serializers.Serializer):
    committee = serializers.CharField(source="committee.code")
    committee_name = serializers.CharField(source="committee.name")
    cadres = serializers.IntegerField()
    residents = serializers.IntegerField()
    units = serializers.IntegerField()
    total = serializers.IntegerField()
    balanced = serializers.BooleanField()


class StandingAppointmentSerializer(CodedSerializer):
    community = org_link(help_text="社区编码")
    sending_unit = unit_link(help_text="派出单位编码")
    phone = MaskedCharField(kind="phone", max_length=32, required=False, allow_blank=True)

    class Meta:
        model = StandingAppointment
        fields = [
            "code",
            "community",
            "kind",
            "person_name",
            "phone",
            "sending_unit",
            "start_date",
            "end_date",
        ]


class SentDownCadreSerializer(CodedSerializer):
    community = org_link(help_text="下沉社区编码")
    unit = unit_link(help_text="派出单位编码")
    member = serializers.SlugRelatedField(
        slug_field="code", queryset=Member.objects.all(), allow_null=True, required=False
    )
    phone = MaskedCharField(kind="phone", max_length=32, required=False, allow_blank=True)
    duty_weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=4),
        required=False,
        help_text="值班日：0=星期一 … 4=星期五",
    )

    class Meta:
        model = SentDownCadre
        fields = [
            "code",
            "community",
            "person_name",
            "member",
            "unit",
            "phone",
            "start_date",
            "end_date",
            "duty_weekdays",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["duty_weekdays"] = [s.weekday for s in instance.duty_shifts.all()]
        return data


class DutyGapSerializer(serializers.Serializer):
    community = serializers.CharField(source="community.code")
    community_name = serializers.CharField(source="community.name")
    day = serializers.DateField()


class BodySerializer(CodedSerializer):
    community = org_link(help_text="所在社区编码")
    compound = org_link(allow_null=True, required=False, help_text="服务小区党支部编码")
    property_branch = org_link(allow_null=True, required=False, help_text="物业党支部编码")
    phone = MaskedCharField(kind="phone", max_length=32, required=False, allow_blank=True)
    is_red_property = serializers.BooleanField(read_only=True)

    class Meta:
        model = Body
        fields = [
            "code",
            "community",
            "kind",
            "name",
            "head_name",
            "phone",
            "compound",
            "is_party_led",
            "property_branch",
            "is_red_property",
        ]


class NeedleCoverageSerializer(serializers.Serializer):
    organization = serializers.CharField(source="organization.code")
    organization_name = serializers.CharField(source="organization.name")
    kind = serializers.CharField(source="organization.kind")
    owners_committees = serializers.IntegerField()
    party_led_owners_committees = serializers.IntegerField()
    party_led_share = serializers.FloatField(allow_null=True)
    compounds = serializers.IntegerField()
    compounds_with_property = serializers.IntegerField()
    red_property_compounds = serializers.IntegerField()
    red_property_share = serializers.FloatField(allow_null=True)
    bodies_by_kind = serializers.DictField(child=serializers.IntegerField())


class FinancialDisclosureSerializer(CodedSerializer):
    body = serializers.SlugRelatedField(
        slug_field="code", queryset=Body.objects.all(), help_text="股份合作公司编码"
    )

    class Meta:
        model = FinancialDisclosure
        fields = [
            "code",
            "body",
            "period",
            "period_start",
            "period_end",
            "title",
            "income",
            "expenditure",
            "dividend",
            "summary",
            "file",
            "is_public",
            "published_on",
        ]
        read_only_fields = ["is_public", "published_on"]


class SixHavesSerializer(ScopedModelSerializer):
    branch = org_link(help_text="小区党支部编码")
    score = serializers.IntegerField(read_only=True)

    class Meta:
        model = SixHaves
        fields = [
            "branch",
            "has_approval",
            "approval_document",
            "has_members",
            "has_commissioner",
            "has_rules",
            "has_venue",
            "has_activities",
            "checked_on",
            "note",
            "score",
        ]
        extra_kwargs = {"branch": {"validators": []}}


class CommunityFigureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class RegistrationStatsSerializer(CommunityFigureSerializer):
    registered = serializers.IntegerField()
    claiming = serializers.IntegerField()
    active = serializers.IntegerField(help_text="本季度有活动记录的报到党员数")


class SixHavesCoverageSerializer(CommunityFigureSerializer):
    compounds = serializers.IntegerField()
    checked = serializers.IntegerField()
    complete = serializers.IntegerField()
