from rest_framework import serializers

from core.api.fields import MaskedCharField
from core.api.serializers import LinkSerializer, ScopedModelSerializer
from covenants.choices import AttachmentKind
from covenants.models import (
    ActivityAttachment,
    ActivityRecord,
    Agreement,
    AgreementTemplate,
    Covenant,
    CovenantVersion,
    LiaisonLog,
    Need,
    PartnerUnit,
    Project,
    Resource,
    ServiceProject,
    UnitAssessment,
)
from governance.models import Meeting
from organizations.models import Organization


def org_field(help_text: str, **kwargs):
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Organization.objects.all(), help_text=help_text, **kwargs
    )


def unit_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="code", queryset=PartnerUnit.objects.all(), help_text="单位编码", **kwargs
    )


class PartnerUnitSerializer(ScopedModelSerializer):
    organization = org_field("登记组织（街道或社区）编码")
    partners = org_field("共建社区/街道编码", many=True, required=False)
    liaison_phone = MaskedCharField(
        kind="phone", required=False, allow_blank=True, help_text="联络员电话（响应中脱敏）"
    )
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = PartnerUnit
        fields = [
            "code",
            "name",
            "credit_code",
            "kind",
            "kind_display",
            "organization",
            "partners",
            "address",
            "party_org_name",
            "party_secretary",
            "liaison_name",
            "liaison_title",
            "liaison_phone",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"code": {"validators": []}, "credit_code": {"validators": []}}


class UnitMemberSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="党员编号")
    name = serializers.CharField()
    community = serializers.CharField()
    community_code = serializers.CharField()
    registered_on = serializers.DateField()
    feedback_year = serializers.IntegerField(allow_null=True)
    feedback_grade = serializers.CharField()
    feedback_grade_display = serializers.CharField()


class AgreementSerializer(ScopedModelSerializer):
    party_a = org_field("甲方（街道党工委或社区大党委）编码")
    unit = unit_field()
    clauses = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        write_only=True,
        help_text="条款正文，按顺序；新建时留空则取所在街道的条款模板",
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Agreement
        fields = [
            "code",
            "title",
            "party_a",
            "unit",
            "starts_on",
            "ends_on",
            "status",
            "status_display",
            "preamble",
            "clauses",
            "party_a_signatory",
            "party_b_signatory",
            "party_a_seal_label",
            "party_b_seal_label",
            "signed_on",
            "terminated_on",
            "termination_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "signed_on",
            "terminated_on",
            "termination_reason",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"code": {"validators": []}, "preamble": {"required": False}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["clauses"] = [c.text for c in instance.clauses.all()]
        return data


class AgreementSignSerializer(serializers.Serializer):
    signed_on = serializers.DateField(required=False, help_text="签订日期，默认今天")
    party_a_signatory = serializers.CharField(required=False, allow_blank=True)
    party_b_signatory = serializers.CharField(required=False, allow_blank=True)


class AgreementTerminateSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="终止原因")
    terminated_on = serializers.DateField(required=False, help_text="终止日期，默认今天")


class AgreementTemplateSerializer(ScopedModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="code", read_only=True)
    clauses = serializers.ListField(child=serializers.CharField(), required=False, write_only=True)

    class Meta:
        model = AgreementTemplate
        fields = [
            "organization",
            "title",
            "preamble",
            "party_a_seal_label",
            "party_b_seal_label",
            "clauses",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["clauses"] = [c.text for c in instance.clauses.all()]
        return data


class ServiceProjectSerializer(ScopedModelSerializer):
    agreement = serializers.SlugRelatedField(
        slug_field="code", queryset=Agreement.objects.all(), help_text="协议编号"
    )
    unit = serializers.CharField(source="agreement.unit.code", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = ServiceProject
        fields = [
            "code",
            "agreement",
            "unit",
            "title",
            "category",
            "category_display",
            "target_group",
            "frequency",
            "venue",
            "description",
            "status",
        ]
        extra_kwargs = {"code": {"validators": []}}


class ActivityAttachmentSerializer(ScopedModelSerializer):
    url = serializers.FileField(source="file", read_only=True, use_url=True)

    class Meta:
        model = ActivityAttachment
        fields = ["id", "kind", "original_name", "size", "url", "uploaded_at"]


class ActivityAttachmentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    file = serializers.FileField()


class ActivityRecordSerializer(ScopedModelSerializer):
    project = serializers.SlugRelatedField(
        slug_field="code", queryset=ServiceProject.objects.all(), help_text="认领项目编码"
    )
    unit = serializers.CharField(source="project.agreement.unit.code", read_only=True)
    party_a = serializers.CharField(source="project.agreement.party_a.code", read_only=True)
    attachments = ActivityAttachmentSerializer(many=True, read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ActivityRecord
        fields = [
            "code",
            "project",
            "unit",
            "party_a",
            "date",
            "kind",
            "kind_display",
            "title",
            "place",
            "staff_count",
            "member_count",
            "residents_served",
            "participants_note",
            "description",
            "attachments",
            "confirmed_at",
        ]
        read_only_fields = ["confirmed_at"]
        extra_kwargs = {"code": {"validators": [], "required": False, "allow_blank": True}}


class LiaisonLogSerializer(ScopedModelSerializer):
    unit = unit_field()
    organization = org_field("联系的社区/街道编码")

    class Meta:
        model = LiaisonLog
        fields = [
            "id",
            "unit",
            "organization",
            "date",
            "mode",
            "liaison_name",
            "content",
            "follow_ups",
        ]


class NeedSerializer(ScopedModelSerializer):
    organization = org_field("所属社区编码")

    class Meta:
        model = Need
        fields = [
            "code",
            "organization",
            "title",
            "category",
            "source",
            "source_ref",
            "description",
            "beneficiaries",
            "reported_on",
            "status",
        ]
        extra_kwargs = {"code": {"validators": []}}


class UnitResourceSerializer(ScopedModelSerializer):
    unit = unit_field()
    organization = org_field("面向社区/街道编码")

    class Meta:
        model = Resource
        fields = [
            "code",
            "unit",
            "organization",
            "kind",
            "title",
            "description",
            "capacity",
            "available",
        ]
        extra_kwargs = {"code": {"validators": []}}


class MatchedProjectSerializer(ScopedModelSerializer):
    organization = org_field("所属社区编码", required=False)
    need = serializers.SlugRelatedField(slug_field="code", queryset=Need.objects.all())
    resource = serializers.SlugRelatedField(slug_field="code", queryset=Resource.objects.all())
    service_project = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ServiceProject.objects.all(),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = Project
        fields = [
            "code",
            "organization",
            "need",
            "resource",
            "service_project",
            "title",
            "status",
            "started_on",
            "finished_on",
        ]
        extra_kwargs = {"code": {"validators": []}}


class UnitAssessmentSerializer(ScopedModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    organization = serializers.SlugRelatedField(slug_field="code", read_only=True)
    grade_display = serializers.CharField(source="get_grade_display", read_only=True)

    class Meta:
        model = UnitAssessment
        fields = [
            "id",
            "unit",
            "organization",
            "year",
            "activity_count",
            "handout_count",
            "contact_months",
            "meetings_held",
            "meetings_attended",
            "score",
            "grade",
            "grade_display",
            "comment",
        ]
        read_only_fields = fields


class UnitAssessmentComputeSerializer(LinkSerializer):
    unit = unit_field()
    organization = org_field("评定社区/街道编码")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    meetings_held = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    meetings_attended = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True)


class CovenantVersionSerializer(ScopedModelSerializer):
    meeting = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Meeting.objects.all(),
        required=False,
        allow_null=True,
        help_text="通过该版本的会议编号（共治会议，须已召开）",
    )

    class Meta:
        model = CovenantVersion
        fields = [
            "number",
            "text",
            "adopted_on",
            "adopted_by",
            "meeting",
            "meeting_reference",
            "is_current",
        ]
        read_only_fields = ["number", "is_current"]


class CovenantSerializer(ScopedModelSerializer):
    organization = org_field("所属社区/小区党组织编码")
    versions = CovenantVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Covenant
        fields = ["code", "organization", "kind", "title", "versions"]
        extra_kwargs = {"code": {"validators": []}}
