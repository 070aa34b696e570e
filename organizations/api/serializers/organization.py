from rest_framework import serializers

from core.api.fields import ScopedSlugRelatedField
from core.api.serializers import ScopedModelSerializer
from organizations.models import Organization


class OrganizationSerializer(ScopedModelSerializer):
    parent = ScopedSlugRelatedField(
        slug_field="code",
        queryset=Organization.objects.all(),
        allow_null=True,
        required=False,
        help_text="上级组织编码",
    )
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Organization
        fields = [
            "code",
            "name",
            "kind",
            "kind_display",
            "parent",
            "level",
            "established_on",
            "ended_on",
            "address",
            "phone",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["level", "created_at", "updated_at"]
        # Uniqueness is checked by the model's full_clean inside the service.
        extra_kwargs = {"code": {"validators": []}}
