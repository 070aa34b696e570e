from rest_framework import serializers

from core.api.fields import MaskedCharField
from core.api.serializers import ScopedModelSerializer
from covenants.models import PartnerUnit
from organizations.models import Organization
from volunteers.choices import Availability, VolunteerStatus
from volunteers.models import Activity, HoursEntry, SignUp, Skill, Team, Volunteer, Wish
from volunteers.stars import star_level


def by_code(queryset, **kwargs):
    return serializers.SlugRelatedField(slug_field="code", queryset=queryset, **kwargs)


def by_number(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="number", queryset=Volunteer.objects.all(), **kwargs
    )


class SkillSerializer(ScopedModelSerializer):
    class Meta:
        model = Skill
        fields = ["code", "name"]
        extra_kwargs = {"code": {"validators": []}, "name": {"validators": []}}


class VolunteerSerializer(ScopedModelSerializer):
    number = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text="留空自动生成"
    )
    id_number = MaskedCharField(kind="id", required=False, allow_blank=True, allow_null=True)
    phone = MaskedCharField(kind="phone")
    community = by_code(Organization.objects.all(), help_text="服务社区编码")
    partner_unit = by_code(PartnerUnit.objects.all(), required=False, allow_null=True)
    skills = by_code(Skill.objects.all(), many=True, required=False)
    availability = serializers.ListField(
        child=serializers.ChoiceField(choices=Availability.choices), required=False
    )
    status = serializers.ChoiceField(choices=VolunteerStatus.choices, required=False)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    total_hours = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    star_level = serializers.SerializerMethodField()

    class Meta:
        model = Volunteer
        fields = [
            "number",
            "name",
            "gender",
            "id_number",
            "phone",
            "person_kind",
            "partner_unit",
            "community",
            "status",
            "status_display",
            "skills",
            "availability",
            "registered_on",
            "note",
            "total_hours",
            "star_level",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_star_level(self, obj) -> int:
        return star_level(getattr(obj, "total_hours", 0))

    def validate_id_number(self, value):
        return value or None


class VolunteerStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=VolunteerStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class TeamSerializer(ScopedModelSerializer):
    community = by_code(Organization.objects.all(), help_text="所属社区编码")
    leader = by_number(required=False, allow_null=True)
    members = by_number(many=True, required=False)
    member_count = serializers.IntegerField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Team
        fields = [
            "code",
            "name",
            "kind",
            "kind_display",
            "community",
            "leader",
            "members",
            "member_count",
            "is_temporary",
            "established_on",
            "ends_on",
            "description",
        ]
        extra_kwargs = {"code": {"validators": []}}


class TeamListSerializer(TeamSerializer):
    """Lists leave the member numbers out (a team may have hundreds): see the detail."""

    class Meta(TeamSerializer.Meta):
        fields = [f for f in TeamSerializer.Meta.fields if f != "members"]


class ActivitySerializer(ScopedModelSerializer):
    organizer = by_code(Organization.objects.all(), help_text="主办组织编码")
    team = by_code(Team.objects.all(), required=False, allow_null=True)
    required_skills = by_code(Skill.objects.all(), many=True, required=False)
    confirmed_count = serializers.IntegerField(read_only=True)
    waitlisted_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Activity
        fields = [
            "code",
            "title",
            "organizer",
            "team",
            "starts_at",
            "ends_at",
            "place",
            "capacity",
            "required_skills",
            "description",
            "status",
            "cancel_reason",
            "confirmed_count",
            "waitlisted_count",
        ]
        read_only_fields = ["status", "cancel_reason"]
        extra_kwargs = {"code": {"validators": []}}


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SignUpRequestSerializer(serializers.Serializer):
    volunteer = serializers.CharField(help_text="志愿者编号")


class SignUpSerializer(ScopedModelSerializer):
    activity = serializers.SlugRelatedField(slug_field="code", read_only=True)
    volunteer = serializers.SlugRelatedField(slug_field="number", read_only=True)
    volunteer_name = serializers.CharField(source="volunteer.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = SignUp
        fields = [
            "id",
            "activity",
            "volunteer",
            "volunteer_name",
            "status",
            "status_display",
            "created_at",
            "cancelled_at",
            "cancel_reason",
            "checked_in_at",
            "checked_out_at",
        ]
        read_only_fields = fields


class AttendanceSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, help_text="默认为当前时间")


class HoursEntrySerializer(ScopedModelSerializer):
    volunteer = by_number()
    activity = by_code(Activity.objects.all(), required=False, allow_null=True)
    wish = serializers.SlugRelatedField(slug_field="code", read_only=True)
    source = serializers.CharField(read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)

    class Meta:
        model = HoursEntry
        fields = [
            "id",
            "volunteer",
            "hours",
            "source",
            "source_display",
            "served_on",
            "activity",
            "wish",
            "corrects",
            "reason",
            "created_at",
        ]
        read_only_fields = ["corrects", "created_at"]
        # A manual award must say why (人工认定的依据).
        extra_kwargs = {"reason": {"required": True, "allow_blank": False}}


class HoursCorrectionSerializer(serializers.Serializer):
    new_hours = serializers.DecimalField(max_digits=8, decimal_places=2)
    reason = serializers.CharField()


class WishSerializer(ScopedModelSerializer):
    community = by_code(Organization.objects.all(), help_text="社区编码")
    beneficiary_phone = MaskedCharField(kind="phone", required=False, allow_blank=True)
    claimed_by_volunteer = serializers.SlugRelatedField(slug_field="number", read_only=True)
    claimed_by_team = serializers.SlugRelatedField(slug_field="code", read_only=True)
    claimed_by_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    days_to_fulfil = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Wish
        fields = [
            "code",
            "title",
            "description",
            "community",
            "beneficiary_name",
            "beneficiary_phone",
            "beneficiary_address",
            "source",
            "status",
            "status_display",
            "review_note",
            "published_at",
            "claimed_by_volunteer",
            "claimed_by_team",
            "claimed_by_unit",
            "claimed_at",
            "fulfilled_at",
            "fulfilment_note",
            "fulfilment_photo",
            "service_hours",
            "confirmed_at",
            "days_to_fulfil",
        ]
        read_only_fields = [
            "code",
            "status",
            "review_note",
            "published_at",
            "claimed_at",
            "fulfilled_at",
            "fulfilment_note",
            "fulfilment_photo",
            "service_hours",
            "confirmed_at",
        ]


class PublicWishSerializer(ScopedModelSerializer):
    """What the portal may show anyone: no name, phone or address of the resident."""

    community = serializers.CharField(source="community.name")
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Wish
        fields = [
            "code",
            "title",
            "description",
            "community",
            "status",
            "status_display",
            "published_at",
        ]
        read_only_fields = fields


class WishReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class WishClaimSerializer(serializers.Serializer):
    volunteer = serializers.CharField(required=False, help_text="志愿者编号")
    team = serializers.CharField(required=False, help_text="服务队编码")
    unit = serializers.CharField(required=False, help_text="驻区单位编码")


class WishFulfilSerializer(serializers.Serializer):
    note = serializers.CharField()
    photo = serializers.FileField(required=False)
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
