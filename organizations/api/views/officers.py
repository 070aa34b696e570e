"""骨干任职 API: CRUD through the officer services, files, and the vacancy list."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.viewsets import ScopedModelViewSet
from organizations import selectors, services
from organizations.api import serializers as s
from organizations.choices import REQUIRED_POSITION, OfficerPosition
from organizations.filtersets import OfficerFilterSet
from organizations.importers import OfficerImporter
from organizations.models import Officer, Organization


class OfficerViewSet(ScopedModelViewSet):
    """骨干任职：书记、委员、党小组长、中心户长、名誉书记、楼栋长、单元长、居民小组长，含任期。
    同一党组织同一时间只能有一位书记（党小组长、中心户长、楼栋长等同理）；
    `GET …/vacancies/` 列出今日无人在任的党组织（书记、党小组长、中心户长空缺）。"""

    serializer_class = s.OfficerSerializer
    filterset_class = OfficerFilterSet
    importer_class = OfficerImporter
    search_fields = ["person_name", "code"]
    ordering = ["organization__code", "position", "-term_start", "code"]

    @staticmethod
    def selector(user):
        return selectors.officers_visible_to(user)

    def create_service(self, *, actor, data):
        return services.officer_create(actor=actor, data=data)

    def update_service(self, *, actor, instance, data):
        return services.officer_update(actor=actor, officer=instance, data=data)

    def delete_service(self, *, actor, instance):
        services.officer_delete(actor=actor, officer=instance)

    @extend_schema(responses=s.VacancySerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, url_path="vacancies")
    def vacancies(self, request):
        nodes = selectors.vacant_nodes(Organization.objects.visible_to(request.user)).order_by(
            "tree_id", "lft"
        )
        rows = [
            {
                "code": o.code,
                "name": o.name,
                "kind": o.kind,
                "missing": OfficerPosition(REQUIRED_POSITION[o.kind]).label,
            }
            for o in nodes.only("code", "name", "kind")
        ]
        return Response(s.VacancySerializer(rows, many=True).data)


__all__ = ["Officer", "OfficerViewSet"]
