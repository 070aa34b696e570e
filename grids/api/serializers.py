from rest_framework import serializers

from core.api.fields import MaskedCharField, UserField
from core.api.serializers import LinkSerializer, ScopedModelSerializer
from core.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from grids.choices import CARE_FLAGS, CaseCategory, CaseSource, DispatchKind, Triage
from grids.models import (
    Building,
    Case,
    CaseEvent,
    CentralHouseholdLink,
    Compound,
    Department,
    Grid,
    GridWorker,
    Household,
    Resident,
    VisitLog,
)
from grids.selectors import is_oversized
from organizations.models import Member, Organization


def code_field(model, **kwargs):
    return serializers.SlugRelatedField(slug_field="code", queryset=model.objects.all(), **kwargs)


class GridSerializer(ScopedModelSerializer):
    parent = code_field(Grid, allow_null=True, required=False, help_text="上级网格编码")
    community = code_field(Organization, help_text="所属社区组织编码")
    covering_branch = code_field(
        Organization,
        allow_null=True,
        required=False,
        help_text="覆盖本网格的党组织编码（支部建在网格上：小区党支部等；微网格可为楼栋党小组）",
    )
    household_count = serializers.IntegerField(read_only=True)
    resident_count = serializers.IntegerField(read_only=True)
    oversized = serializers.SerializerMethodField()

    class Meta:
        model = Grid
        fields = [
            "code",
            "name",
            "level",
            "parent",
            "community",
            "covering_branch",
            "boundary",
            "note",
            "household_count",
            "resident_count",
            "oversized",
        ]
        extra_kwargs = {"code": {"validators": []}}

    def get_oversized(self, obj) -> bool:
        return is_oversized(obj.level, getattr(obj, "household_count", 0))


class GridWorkerSerializer(ScopedModelSerializer):
    grid = code_field(Grid)
    phone = MaskedCharField(kind="phone", required=False, allow_blank=True)
    user = UserField(
        queryset=GridWorker._meta.get_field("user").related_model.objects.all(),
        allow_null=True,
        required=False,
    )

    class Meta:
        model = GridWorker
        fields = ["code", "grid", "role", "name", "phone", "work_phone", "user", "active"]
        extra_kwargs = {"code": {"validators": []}}


class CompoundSerializer(ScopedModelSerializer):
    community = code_field(Organization, help_text="所属社区组织编码")
    building_count = serializers.SerializerMethodField()

    def get_building_count(self, compound) -> int:
        # Lists annotate it (one query); a created or updated compound counts its own.
        count = getattr(compound, "building_count", None)
        return compound.buildings.count() if count is None else count

    class Meta:
        model = Compound
        fields = ["code", "name", "aliases", "community", "address", "building_count"]
        extra_kwargs = {"code": {"validators": []}}


class BuildingSerializer(ScopedModelSerializer):
    community = code_field(Organization)
    grid = code_field(Grid)
    compound = code_field(Compound, help_text="所在小区编码")
    household_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Building
        fields = [
            "code",
            "name",
            "community",
            "grid",
            "compound",
            "number",
            "units",
            "address",
            "floors",
            "household_count",
        ]
        extra_kwargs = {"code": {"validators": []}}


class HouseholdSerializer(ScopedModelSerializer):
    grid = code_field(Grid)
    micro_grid = code_field(Grid, allow_null=True, required=False)
    building = code_field(Building, allow_null=True, required=False)
    resident_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Household
        fields = [
            "code",
            "grid",
            "micro_grid",
            "building",
            "door_number",
            "head_name",
            "size",
            "note",
            "resident_count",
        ]
        extra_kwargs = {"code": {"validators": []}}


class ResidentSerializer(ScopedModelSerializer):
    household = code_field(Household)
    id_number = MaskedCharField(kind="id", required=False, allow_blank=True)
    phone = MaskedCharField(kind="phone", required=False, allow_blank=True)

    class Meta:
        model = Resident
        fields = [
            "code",
            "household",
            "name",
            "id_number",
            "gender",
            "birth_date",
            "phone",
            "relation",
            "resident_type",
            *CARE_FLAGS,
            "note",
        ]
        read_only_fields = ["code", "gender", "birth_date"]


class CentralHouseholdLinkSerializer(ScopedModelSerializer):
    organization = code_field(Organization, help_text="党员中心户或先锋岗的组织编码")
    household = code_field(Household)

    class Meta:
        model = CentralHouseholdLink
        fields = ["id", "organization", "household", "since", "note"]


class VisitLogSerializer(ScopedModelSerializer):
    household = code_field(Household)
    central_household = code_field(Organization, allow_null=True, required=False)
    member = code_field(
        Member, allow_null=True, required=False, help_text="走访党员的党员编号（须在管辖范围内）"
    )
    case = serializers.SlugRelatedField(slug_field="tracking_code", read_only=True)

    class Meta:
        model = VisitLog
        fields = [
            "code",
            "household",
            "visitor_kind",
            "member",
            "visitor_name",
            "central_household",
            "visited_on",
            "content",
            "needs",
            "case",
        ]
        read_only_fields = ["code", "case"]
        extra_kwargs = {"visitor_name": {"required": False, "help_text": "留空则为当前用户"}}


class CaseEventSerializer(ScopedModelSerializer):
    class Meta:
        model = CaseEvent
        fields = ["action", "from_status", "to_status", "actor_name", "note", "created_at"]


class CaseSerializer(ScopedModelSerializer):
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    grid = serializers.SlugRelatedField(slug_field="code", read_only=True)
    building = serializers.SlugRelatedField(slug_field="code", read_only=True)
    household = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reporter_phone = MaskedCharField(kind="phone", read_only=True)
    same_problem_as = serializers.SlugRelatedField(
        slug_field="tracking_code",
        read_only=True,
        help_text="另一位居民先报的同一问题（门户重复提交时关联，各有查询码）",
    )
    overdue = serializers.SerializerMethodField()
    ack_overdue = serializers.SerializerMethodField()
    department_overdue = serializers.SerializerMethodField()
    department = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="承办部门编码（吹哨报到）"
    )
    registration = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="承办党员的双报到编号（社区吹哨）"
    )
    cadre = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="承办下沉干部编号（社区吹哨）"
    )

    class Meta:
        model = Case
        fields = [
            "tracking_code",
            "source",
            "category",
            "description",
            "reporter_name",
            "reporter_phone",
            "community",
            "grid",
            "building",
            "household",
            "location",
            "status",
            "triage",
            "reported_at",
            "due_at",
            "overdue",
            "accepted_at",
            "dispatched_at",
            "dispatch_kind",
            "target_label",
            "department",
            "department_name",
            "registration",
            "cadre",
            "ack_due_at",
            "acknowledged_at",
            "ack_overdue",
            "department_due_at",
            "department_overdue",
            "extension_count",
            "ack_escalated_at",
            "due_escalated_at",
            "resolution",
            "resolution_level",
            "resolved_at",
            "resolved_on_time",
            "satisfaction",
            "evaluation_comment",
            "evaluated_at",
            "reopen_count",
            "same_problem_as",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue()

    def get_ack_overdue(self, obj) -> bool:
        return obj.is_ack_overdue()

    def get_department_overdue(self, obj) -> bool:
        return obj.is_department_overdue()


class CaseDetailSerializer(CaseSerializer):
    events = CaseEventSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "events"]
        read_only_fields = fields


class CaseReportSerializer(LinkSerializer):
    """Staff filing: a grid worker on patrol, a member's visit, or the desk for a resident."""

    source = serializers.ChoiceField(
        choices=[c for c in CaseSource.choices if c[0] != CaseSource.PORTAL]
    )
    category = serializers.ChoiceField(choices=CaseCategory.choices)
    description = serializers.CharField()
    reporter_name = serializers.CharField(max_length=64)
    reporter_phone = serializers.CharField(max_length=32)
    community = code_field(Organization, required=False, allow_null=True)
    grid = code_field(Grid, required=False, allow_null=True)
    building = code_field(Building, required=False, allow_null=True)
    household = code_field(Household, required=False, allow_null=True)
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=MAX_PHOTOS,
        help_text=f"现场照片（multipart/form-data，同名字段可重复，最多 {MAX_PHOTOS} 张，"
        f"每张不超过 {MAX_PHOTO_BYTES // 1048576} MB，JPG/PNG/WEBP/HEIC，按文件内容判断）",
    )


class AcceptSerializer(serializers.Serializer):
    triage = serializers.ChoiceField(choices=Triage.choices)
    note = serializers.CharField(required=False, allow_blank=True)


class RetriageSerializer(serializers.Serializer):
    triage = serializers.ChoiceField(choices=Triage.choices)
    reason = serializers.CharField(help_text="改变分办的理由（记入办理记录）")


class DispatchSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DispatchKind.choices)
    target = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="派单对象的编码：网格员、社区组织、志愿服务队、职能部门（department）、"
        "双报到编号（member）或下沉干部编号（cadre）",
    )
    note = serializers.CharField(required=False, allow_blank=True)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField()
    hours = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        required=False,
        allow_null=True,
        help_text="服务时长（小时）：派给党员或下沉干部的诉求，计入双报到活动记录",
    )


class ExtendSerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text="延期天数")
    reason = serializers.CharField(help_text="延期理由")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="退回理由")


class DepartmentSerializer(ScopedModelSerializer):
    street = code_field(Organization, help_text="所属街道（党工委）组织编码")

    class Meta:
        model = Department
        fields = ["code", "name", "kind", "street", "contact", "phone", "active"]
        extra_kwargs = {"code": {"validators": []}}


class EvaluateSerializer(serializers.Serializer):
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True)


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ToCaseSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=CaseCategory.choices)
    description = serializers.CharField(required=False, allow_blank=True)


class GridTreeNodeSerializer(serializers.Serializer):
    """One node of ``GET /grids/tree/``; ``children`` holds nodes of the same shape."""

    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    households = serializers.IntegerField()
    people = serializers.IntegerField()
    oversized = serializers.BooleanField(required=False)  # grid levels only
    children = serializers.ListField(child=serializers.DictField(), required=False)  # not on leaves


class CaseFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    resolved = serializers.IntegerField()
    in_grid = serializers.IntegerField()
    in_community = serializers.IntegerField()
    escalated = serializers.IntegerField()
    on_time = serializers.IntegerField()
    overdue_open = serializers.IntegerField()
    reopened = serializers.IntegerField()
    evaluated = serializers.IntegerField()
    avg_satisfaction = serializers.FloatField(allow_null=True)
    share_in_grid = serializers.FloatField(allow_null=True)
    share_in_community = serializers.FloatField(allow_null=True)
    share_escalated = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)
