from rest_framework import serializers

from core.api.serializers import ScopedModelSerializer
from governance.assessment.models import (
    AdmissionRequest,
    Assessment,
    Indicator,
    IndicatorSet,
    Result,
    RollupRun,
    SatisfactionTally,
    Score,
    WorkItem,
    WorkListVersion,
)
from organizations.models import Organization


def org_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Organization.objects.all(), **kwargs
    )


class WorkListVersionSerializer(ScopedModelSerializer):
    street = org_field(help_text="发布街道编码")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = WorkListVersion
        fields = [
            "code",
            "street",
            "title",
            "status",
            "status_display",
            "effective_on",
            "published_at",
            "note",
            "item_count",
        ]
        read_only_fields = ["status", "published_at"]
        extra_kwargs = {"code": {"validators": []}}


class WorkItemSerializer(ScopedModelSerializer):
    version = serializers.SlugRelatedField(
        slug_field="code", queryset=WorkListVersion.objects.all(), help_text="清单版本编码"
    )
    holder_display = serializers.CharField(source="get_holder_display", read_only=True)
    responsibility_display = serializers.CharField(
        source="get_responsibility_display", read_only=True
    )

    class Meta:
        model = WorkItem
        fields = [
            "code",
            "version",
            "seq",
            "holder",
            "holder_display",
            "responsibility",
            "responsibility_display",
            "title",
            "description",
            "legal_basis",
            "is_public",
        ]
        extra_kwargs = {"code": {"validators": []}}
        validators = []


class AdmissionRequestSerializer(ScopedModelSerializer):
    community = org_field(help_text="承接社区编码")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    missing_resources = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = AdmissionRequest
        fields = [
            "code",
            "community",
            "department",
            "title",
            "description",
            "legal_authority",
            "staff_count",
            "funds",
            "starts_on",
            "ends_on",
            "refusable",
            "missing_resources",
            "status",
            "status_display",
            "decided_at",
            "decision_reason",
            "created_at",
        ]
        read_only_fields = ["refusable", "status", "decided_at", "decision_reason", "created_at"]
        extra_kwargs = {"code": {"validators": []}}


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class IndicatorSetSerializer(ScopedModelSerializer):
    aspect_count = serializers.IntegerField(read_only=True)
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = IndicatorSet
        fields = [
            "code",
            "name",
            "weight_total",
            "assessed_kinds",
            "status",
            "note",
            "aspect_count",
            "item_count",
        ]
        read_only_fields = ["status"]
        extra_kwargs = {"code": {"validators": []}}


class IndicatorSerializer(ScopedModelSerializer):
    indicator_set = serializers.SlugRelatedField(slug_field="code", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "indicator_set",
            "code",
            "name",
            "parent",
            "seq",
            "weight",
            "max_score",
            "source",
            "figure",
            "criteria",
        ]


class AssessmentSerializer(ScopedModelSerializer):
    organizer = org_field(help_text="组织考核的党组织编码")
    indicator_set = serializers.SlugRelatedField(
        slug_field="code", queryset=IndicatorSet.objects.all()
    )

    class Meta:
        model = Assessment
        fields = [
            "code",
            "name",
            "organizer",
            "indicator_set",
            "period_kind",
            "starts_on",
            "ends_on",
            "top_down_weight",
            "bottom_up_weight",
            "last_rolled_up_at",
        ]
        read_only_fields = ["last_rolled_up_at"]
        extra_kwargs = {"code": {"validators": []}}


class ScoreSerializer(ScopedModelSerializer):
    assessment = serializers.SlugRelatedField(slug_field="code", queryset=Assessment.objects.all())
    organization = org_field()
    indicator = serializers.CharField(source="indicator.code", help_text="条目编码")
    scored_by = serializers.StringRelatedField()

    class Meta:
        model = Score
        fields = [
            "id",
            "assessment",
            "organization",
            "indicator",
            "value",
            "source",
            "evidence",
            "scored_by",
            "scored_at",
        ]
        read_only_fields = ["source", "scored_by", "scored_at"]
        validators = []


class TallySerializer(ScopedModelSerializer):
    assessment = serializers.SlugRelatedField(slug_field="code", queryset=Assessment.objects.all())
    organization = org_field()

    class Meta:
        model = SatisfactionTally
        fields = [
            "id",
            "assessment",
            "organization",
            "voter_kind",
            "satisfied",
            "basically_satisfied",
            "dissatisfied",
            "held_on",
            "note",
        ]
        validators = []
        # Ballot counts left out count as none cast (the service needs all three).
        extra_kwargs = {
            "satisfied": {"default": 0},
            "basically_satisfied": {"default": 0},
            "dissatisfied": {"default": 0},
        }


class ResultSerializer(ScopedModelSerializer):
    assessment = serializers.SlugRelatedField(slug_field="code", read_only=True)
    organization = serializers.SlugRelatedField(slug_field="code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Result
        fields = [
            "assessment",
            "organization",
            "organization_name",
            "kind",
            "top_down",
            "bottom_up",
            "own_score",
            "subtree_count",
            "subtree_average",
            "rank_score",
            "rank",
            "rank_of",
        ]


class RollupRunSerializer(ScopedModelSerializer):
    assessment = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RollupRun
        fields = [
            "id",
            "assessment",
            "trigger",
            "status",
            "progress",
            "message",
            "result_count",
            "created_at",
            "started_at",
            "finished_at",
        ]
