from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import UserField
from core.api.serializers import ScopedModelSerializer
from governance.choices import Attendance, EvaluationSide, ResolutionKind
from governance.models import (
    AgendaItem,
    Evaluation,
    Invitation,
    Meeting,
    MeetingAttachment,
    MeetingSeries,
    Notification,
    Resolution,
    SeriesMember,
    Task,
)
from governance.references import ASSIGNEE_MODELS, SOURCE_MODELS, TYPE_NAMES
from organizations.models import Organization

User = get_user_model()


class SeriesMemberSerializer(ScopedModelSerializer):
    user = UserField(queryset=User.objects.all(), allow_null=True, required=False)

    class Meta:
        model = SeriesMember
        fields = ["id", "kind", "name", "unit_name", "user", "email", "rotation_order", "active"]
        read_only_fields = ["id"]


class MeetingSeriesSerializer(ScopedModelSerializer):
    body = serializers.SlugRelatedField(
        slug_field="code", queryset=Organization.objects.all(), help_text="召集组织编码"
    )
    convenor = UserField(queryset=User.objects.all(), allow_null=True, required=False)
    current_chair = serializers.StringRelatedField(read_only=True)
    member_count = serializers.SerializerMethodField()
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    def get_member_count(self, series) -> int:
        # Lists annotate it (one query); a created or updated series counts its own.
        count = getattr(series, "member_count", None)
        if count is None:
            count = series.members.filter(active=True).count()
        return count

    class Meta:
        model = MeetingSeries
        fields = [
            "code",
            "name",
            "kind",
            "kind_display",
            "body",
            "cadence",
            "due_within_days",
            "starts_on",
            "ends_on",
            "convenor",
            "default_place",
            "rotating_chair",
            "current_chair",
            "member_count",
            "active",
        ]
        extra_kwargs = {"code": {"validators": []}}


class AgendaItemSerializer(ScopedModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ["position", "title", "presenter", "notes"]


class InvitationSerializer(ScopedModelSerializer):
    class Meta:
        model = Invitation
        fields = ["name", "unit_name", "attendance", "note"]


class AttachmentSerializer(ScopedModelSerializer):
    class Meta:
        model = MeetingAttachment
        fields = ["id", "title", "file", "uploaded_at"]


class ResolutionSerializer(ScopedModelSerializer):
    meeting = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    task_count = serializers.IntegerField(read_only=True, default=None)
    tasks_done = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Resolution
        fields = [
            "code",
            "meeting",
            "kind",
            "kind_display",
            "title",
            "content",
            "public",
            "task_count",
            "tasks_done",
        ]
        read_only_fields = ["code"]


class MeetingSerializer(ScopedModelSerializer):
    series = serializers.SlugRelatedField(slug_field="code", queryset=MeetingSeries.objects.all())
    body = serializers.CharField(source="series.body.code", read_only=True)
    chair = serializers.StringRelatedField(read_only=True)
    period_label = serializers.CharField(source="period.label", read_only=True)
    agenda = serializers.ListField(
        child=serializers.CharField(max_length=200), write_only=True, required=False
    )

    class Meta:
        model = Meeting
        fields = [
            "code",
            "series",
            "body",
            "period_start",
            "period_end",
            "period_label",
            "title",
            "planned_on",
            "starts_at",
            "place",
            "status",
            "held_on",
            "chair",
            "minutes",
            "agenda",
        ]
        read_only_fields = ["code", "period_end", "status", "held_on", "minutes"]
        extra_kwargs = {
            "period_start": {"required": False},
            "title": {"required": False},
        }


class MeetingDetailSerializer(MeetingSerializer):
    agenda_items = AgendaItemSerializer(many=True, read_only=True)
    invitations = InvitationSerializer(many=True, read_only=True)
    resolutions = ResolutionSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [
            *MeetingSerializer.Meta.fields,
            "agenda_items",
            "invitations",
            "resolutions",
            "attachments",
        ]


class HoldSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    minutes = serializers.CharField(required=False, allow_blank=True, default="")


class AttendanceSerializer(serializers.Serializer):
    attendance = serializers.DictField(
        child=serializers.ChoiceField(choices=[c for c in Attendance.values if c != "unknown"]),
        help_text='{"姓名": "present|absent|excused"}',
    )


class InviteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    unit_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class ResolutionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ResolutionKind.choices)
    title = serializers.CharField(max_length=200)
    content = serializers.CharField(required=False, allow_blank=True, default="")
    public = serializers.BooleanField(required=False, default=False, help_text="向居民公开")


class ResolutionPublicSerializer(serializers.Serializer):
    public = serializers.BooleanField(help_text="向居民公开")


class AttachmentInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    file = serializers.FileField()


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "type": {
                "type": "string",
                "description": "类型（organization、grid、unit、team、user、resolution、case、admission_request）",
            },
            "code": {"type": "string", "description": "编码（用户为用户名）"},
        },
        "required": ["type", "code"],
    }
)
class ReferenceField(serializers.Field):
    """A generic reference as {"type": "organization", "code": "TD-ZQ-YL"}."""

    def __init__(self, labels, **kwargs):
        self.labels = labels
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value

    def to_internal_value(self, data):
        if not isinstance(data, dict) or not data.get("type") or not data.get("code"):
            raise serializers.ValidationError('应为 {"type": 类型, "code": 编码}。')
        return {"type": str(data["type"]), "code": str(data["code"])}


class TaskEvaluationSerializer(ScopedModelSerializer):
    """One side's evaluation: ``assigner`` (上考: the dispatcher rates the work) or
    ``assignee`` (下评: the assignee rates the request's clarity and support)."""

    side_display = serializers.CharField(source="get_side_display", read_only=True)
    author = UserField(read_only=True)

    class Meta:
        model = Evaluation
        fields = ["side", "side_display", "rating", "comment", "author", "created_at"]
        read_only_fields = fields


class TaskSerializer(ScopedModelSerializer):
    organization = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        help_text="派单组织编码（来源为决议时可省略）",
    )
    assignee = ReferenceField(
        ASSIGNEE_MODELS,
        source="assignee_ref",
        write_only=True,
        help_text="承办方 {type: organization|grid|unit|team|user|registration|cadre, code}；registration 为党员双报到编号，cadre 为下沉干部编号",
    )
    source = ReferenceField(
        SOURCE_MODELS,
        source="source_ref",
        required=False,
        write_only=True,
        help_text="来源 {type, code}",
    )
    assigned_by = UserField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    evaluations = TaskEvaluationSerializer(
        many=True, read_only=True, help_text="双向评价（上考下评）：派单方与承办方各一条"
    )

    class Meta:
        model = Task
        fields = [
            "code",
            "title",
            "description",
            "organization",
            "assignee",
            "assignee_label",
            "source",
            "source_label",
            "assigned_by",
            "deadline",
            "status",
            "status_display",
            "reject_reason",
            "accepted_at",
            "done_at",
            "evaluated_at",
            "evaluations",
            "created_at",
        ]
        read_only_fields = [
            "code",
            "assignee_label",
            "source_label",
            "status",
            "reject_reason",
            "accepted_at",
            "done_at",
            "evaluated_at",
            "created_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["assignee"] = {
            "type": _type_name(instance.assignee_type),
            "id": instance.assignee_id,
            "label": instance.assignee_label,
        }
        data["source"] = (
            {
                "type": _type_name(instance.source_type),
                "id": instance.source_id,
                "label": instance.source_label,
            }
            if instance.source_type_id
            else None
        )
        return data


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField()


class CompleteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    hours = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="服务时长（小时，0.5–24）：派给双报到党员 registration 或下沉干部 cadre 的派单必填，"
        "计入其报到活动记录；其他派单不填",
    )


class EvaluateSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=EvaluationSide.choices)
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class DispatchSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    assignee = ReferenceField(ASSIGNEE_MODELS)
    deadline = serializers.DateField()


class NotificationSerializer(ScopedModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="code", read_only=True)
    series = serializers.SlugRelatedField(slug_field="code", read_only=True)
    meeting = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_display",
            "title",
            "body",
            "window_days",
            "period_start",
            "organization",
            "series",
            "meeting",
            "created_at",
            "read_at",
            "email_status",
        ]
        read_only_fields = fields


def _type_name(content_type) -> str:
    return TYPE_NAMES.get(f"{content_type.app_label}.{content_type.model}", content_type.model)
