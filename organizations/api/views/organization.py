from core.api.viewsets import ScopedModelViewSet
from organizations.api.serializers import OrganizationSerializer
from organizations.filtersets import OrganizationFilterSet
from organizations.importers import OrganizationImporter
from organizations.selectors import organizations_visible_to
from organizations.services import organization_create, organization_delete, organization_update


class OrganizationViewSet(ScopedModelViewSet):
    """党组织树。`?subtree_of=<编码>` 取整棵子树，`?ancestor=<编码>` 取下级，`?parent=<编码>` 取直接下级。"""

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet
    importer_class = OrganizationImporter
    search_fields = ["name", "code"]
    ordering_fields = ["code", "name", "lft"]
    ordering = ["tree_id", "lft"]

    @staticmethod
    def selector(user):
        return organizations_visible_to(user)

    def create_service(self, *, actor, data):
        return organization_create(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return organization_update(actor=actor, organization=instance, **data)

    def delete_service(self, *, actor, instance):
        organization_delete(actor=actor, organization=instance)
