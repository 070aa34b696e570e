"""Serializers for officers (骨干任职): links by code, phones masked."""

from rest_framework import serializers

from core.api.fields import MaskedCharField
from grids.models import Building, Grid, Resident
from organizations.api.serializers.members import CodedSerializer, org_link
from organizations.models import Member, Officer


def _code_link(model, help_text: str):
    return serializers.SlugRelatedField(
        slug_field="code",
        queryset=model.objects.all(),
        allow_null=True,
        required=False,
        help_text=help_text,
    )


class OfficerSerializer(CodedSerializer):
    organization = org_link(
        required=False,
        help_text="所在组织编码（楼栋长、单元长、居民小组长可不填，取楼栋或网格所属社区）",
    )
    building = _code_link(Building, "楼栋编码（楼栋长、单元长）")
    grid = _code_link(Grid, "网格编码（居民小组长）")
    member = _code_link(Member, "对应党员编号")
    resident = _code_link(Resident, "对应居民编号")
    phone = MaskedCharField(kind="phone", max_length=32, required=False, allow_blank=True)
    is_current = serializers.BooleanField(read_only=True, help_text="今日是否在任")

    class Meta:
        model = Officer
        # The single-holder constraints are the services' (with the post locked), not DRF's
        # unique-together validators (which would make building / unit required).
        validators = []
        fields = [
            "code",
            "organization",
            "position",
            "building",
            "unit_number",
            "grid",
            "person_name",
            "member",
            "resident",
            "phone",
            "term_start",
            "term_end",
            "note",
            "is_current",
        ]


class VacancySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="组织编码")
    name = serializers.CharField()
    kind = serializers.CharField()
    missing = serializers.CharField(help_text="空缺的职务")
