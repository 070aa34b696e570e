from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied
from rest_framework.response import Response

from core.api.pagination import LargeTablePagination
from core.api.permissions import ScopedModelPermissions, ViewModelPermission
from core.api.viewsets import ScopedModelViewSet
from core.scope import restrict
from grids.api import serializers as s
from grids.choices import DispatchKind
from grids.filtersets import (
    BuildingFilterSet,
    CaseFilterSet,
    CentralHouseholdLinkFilterSet,
    CompoundFilterSet,
    GridFilterSet,
    GridWorkerFilterSet,
    HouseholdFilterSet,
    ResidentFilterSet,
    VisitLogFilterSet,
)
from grids.importers import (
    BuildingImporter,
    CaseImporter,
    CentralHouseholdLinkImporter,
    CompoundImporter,
    GridImporter,
    GridWorkerImporter,
    ResidentImporter,
    VisitLogImporter,
)
from grids.models import Department
from grids.roster import RosterImporter
from grids.selectors import (
    buildings_visible_to,
    case_figures,
    case_possible_duplicates,
    case_with_history,
    cases_visible_to,
    central_links_visible_to,
    compounds_visible_to,
    grid_tree,
    grid_workers_visible_to,
    grids_visible_to,
    household_contacts,
    households_visible_to,
    residents_visible_to,
    visits_visible_to,
)
from grids.services import cases as case_services
from grids.services.grid import (
    grid_create,
    grid_delete,
    grid_update,
    roster_create,
    roster_delete,
    roster_update,
)
from grids.services.visits import (
    central_link_create,
    central_link_delete,
    central_link_update,
    visit_log_create,
    visit_log_update,
    visit_to_case,
)


class GridViewSet(ScopedModelViewSet):
    """网格树（社区网格→片区→网格→微网格），带整棵子树的户数、人数和超规模标记。"""

    serializer_class = s.GridSerializer
    filterset_class = GridFilterSet
    importer_class = GridImporter
    search_fields = ["name", "code"]
    ordering = ["tree_id", "lft"]

    @staticmethod
    def selector(user):
        return grids_visible_to(user)

    def create_service(self, *, actor, data):
        return grid_create(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return grid_update(actor=actor, grid=instance, **data)

    def delete_service(self, *, actor, instance):
        grid_delete(actor=actor, grid=instance)

    @extend_schema(responses={200: s.GridTreeNodeSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None, url_path="tree")
    def tree(self, request, *args, **kwargs):
        """街道→社区→片区→网格→微网格 的户数、人数汇总（`?root=<组织编码>` 取某街道或社区）。"""
        return Response(grid_tree(request.user, root_code=request.query_params.get("root", "")))


class RosterViewSet(ScopedModelViewSet):
    def create_service(self, *, actor, data):
        return roster_create(actor=actor, model=self.get_serializer_class().Meta.model, data=data)

    def update_service(self, *, actor, instance, data):
        return roster_update(actor=actor, instance=instance, data=data)

    def delete_service(self, *, actor, instance):
        roster_delete(actor=actor, instance=instance)


class GridWorkerViewSet(RosterViewSet):
    serializer_class = s.GridWorkerSerializer
    filterset_class = GridWorkerFilterSet
    importer_class = GridWorkerImporter
    search_fields = ["name", "code"]
    ordering = ["code"]
    selector = staticmethod(grid_workers_visible_to)


class CompoundViewSet(RosterViewSet):
    """小区，带居民常用的别名（居民服务按小区名或别名加楼号查找楼栋）。"""

    serializer_class = s.CompoundSerializer
    filterset_class = CompoundFilterSet
    importer_class = CompoundImporter
    search_fields = ["name", "code", "aliases"]
    ordering = ["code"]
    selector = staticmethod(compounds_visible_to)


class BuildingViewSet(RosterViewSet):
    serializer_class = s.BuildingSerializer
    filterset_class = BuildingFilterSet
    importer_class = BuildingImporter
    search_fields = ["name", "code", "number", "compound__name", "compound__aliases"]
    ordering = ["code"]
    selector = staticmethod(buildings_visible_to)


class HouseholdViewSet(RosterViewSet):
    """户。导入导出使用户籍花名册（每行一名居民，附户信息）。"""

    serializer_class = s.HouseholdSerializer
    filterset_class = HouseholdFilterSet
    importer_class = RosterImporter
    search_fields = ["code", "door_number", "head_name"]
    ordering = ["code"]
    pagination_class = LargeTablePagination
    cursor_ordering = ("code", "id")
    selector = staticmethod(households_visible_to)

    @action(detail=True, methods=["get"], url_path="contacts")
    def contacts(self, request, *args, **kwargs):
        """本户的党员中心户和网格员（电话脱敏）。"""
        found = household_contacts(self.get_object())
        return Response(
            {
                "central_households": [
                    {"code": o.code, "name": o.name} for o in found["central_households"]
                ],
                "grid_workers": s.GridWorkerSerializer(found["grid_workers"], many=True).data,
            }
        )


class ResidentViewSet(RosterViewSet):
    serializer_class = s.ResidentSerializer
    filterset_class = ResidentFilterSet
    importer_class = ResidentImporter
    search_fields = ["name", "code"]
    ordering = ["household__code", "id"]
    pagination_class = LargeTablePagination
    cursor_ordering = ("household__code", "id")
    selector = staticmethod(residents_visible_to)


class CentralHouseholdLinkViewSet(ScopedModelViewSet):
    """党员中心户/先锋岗的联系户（每个 1–5 户为常规，最多 10 户）。"""

    serializer_class = s.CentralHouseholdLinkSerializer
    filterset_class = CentralHouseholdLinkFilterSet
    importer_class = CentralHouseholdLinkImporter
    lookup_field = "pk"
    ordering = ["organization__code", "household__code"]
    selector = staticmethod(central_links_visible_to)

    def create_service(self, *, actor, data):
        return central_link_create(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return central_link_update(actor=actor, link=instance, **data)

    def delete_service(self, *, actor, instance):
        central_link_delete(actor=actor, link=instance)


class VisitLogViewSet(ScopedModelViewSet):
    serializer_class = s.VisitLogSerializer
    filterset_class = VisitLogFilterSet
    importer_class = VisitLogImporter
    ordering = ["-visited_on", "-id"]
    selector = staticmethod(visits_visible_to)

    def create_service(self, *, actor, data):
        return visit_log_create(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return visit_log_update(actor=actor, visit=instance, **data)

    def delete_service(self, *, actor, instance):
        raise MethodNotAllowed("DELETE", detail="民情日记不能删除。")

    @extend_schema(request=s.ToCaseSerializer, responses={201: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"], url_path="to-case")
    def to_case(self, request, *args, **kwargs):
        """一步把走访记录转为民情诉求。"""
        _require(request.user, "grids.add_case")
        visit = self.get_object()
        data = _valid(s.ToCaseSerializer, request)
        case = visit_to_case(actor=request.user, visit=visit, **data)
        return Response(s.CaseDetailSerializer(case).data, status=201)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _require(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied("没有办理民情诉求的权限。")


NEW_KINDS = (DispatchKind.DEPARTMENT, DispatchKind.MEMBER, DispatchKind.CADRE)


class CaseStepPermission(ScopedModelPermissions):
    """A workflow step is a change of the case: a department's or member's account (which
    may not file cases) takes its steps with the change permission."""

    perms_map = {
        **ScopedModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }


class DepartmentViewSet(ScopedModelViewSet):
    """职能部门（及参与吹哨报到的驻区单位），挂在街道下；吹哨派单的对象。"""

    serializer_class = s.DepartmentSerializer
    search_fields = ["name", "code"]
    ordering = ["code"]

    @staticmethod
    def selector(user):
        return Department.objects.visible_to(user).select_related("street")


class CaseViewSet(ScopedModelViewSet):
    """民情诉求：上报（巡查/走访/窗口代填）、受理分办、派单、部门报到、办结、评价、退回重办。"""

    serializer_class = s.CaseSerializer
    filterset_class = CaseFilterSet
    importer_class = CaseImporter
    lookup_field = "tracking_code"
    search_fields = ["tracking_code", "description", "reporter_name"]
    ordering_fields = ["reported_at", "due_at", "status"]
    ordering = ["-reported_at", "-id"]
    pagination_class = LargeTablePagination
    cursor_ordering = ("-reported_at", "-id")
    http_method_names = ["get", "post", "head", "options"]

    @staticmethod
    def selector(user):
        return cases_visible_to(user)

    def get_queryset(self):
        if self.action == "retrieve":
            return case_with_history(self.request.user)
        return super().get_queryset()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.CaseDetailSerializer
        if self.action == "create":
            return s.CaseReportSerializer
        return s.CaseSerializer

    def create(self, request, *args, **kwargs):
        data = _valid(s.CaseReportSerializer, request)
        case = case_services.case_report(actor=request.user, **data)
        return Response(s.CaseDetailSerializer(case).data, status=201)

    def _step(self, request, serializer_class, service, **extra):
        _require(request.user, "grids.change_case")
        case = self.get_object()
        data = _valid(serializer_class, request) if serializer_class else {}
        case = service(actor=request.user, case=case, **data, **extra)
        # a department that returned the case no longer sees it: the case as the step left it
        fresh = case_with_history(request.user).filter(pk=case.pk).first() or case
        return Response(s.CaseDetailSerializer(fresh).data)

    @extend_schema(request=s.AcceptSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[CaseStepPermission])
    def accept(self, request, *args, **kwargs):
        """受理并三事分办（major 大事 / minor 小事 / private 私事）。"""
        return self._step(request, s.AcceptSerializer, case_services.case_accept)

    @extend_schema(request=s.RetriageSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[CaseStepPermission])
    def retriage(self, request, *args, **kwargs):
        """改变三事分办（小事 ↔ 大事 / 私事），理由记入办理记录；此后的派单按新的分办。"""
        return self._step(request, s.RetriageSerializer, case_services.case_retriage)

    @extend_schema(request=s.DispatchSerializer, responses={200: s.CaseDetailSerializer})
    @action(
        detail=True, methods=["post"], url_path="dispatch", permission_classes=[CaseStepPermission]
    )
    def dispatch_case(self, request, *args, **kwargs):
        """派单：target 为派单对象的编码（网格员、社区组织、志愿服务队；大事吹哨给职能部门
        department；小事可派给双报到党员 member（报到编号）或下沉干部 cadre）。"""
        _require(request.user, "grids.change_case")
        case = self.get_object()
        data = _valid(s.DispatchSerializer, request)
        target = None
        if data.get("target"):
            model = case_services.dispatch_target_model(data["kind"])
            if model is not None:
                if data["kind"] in NEW_KINDS:
                    # their reach is the street (departments) or the case's community
                    queryset = model._default_manager.filter(
                        pk__in=case_services.linkable_targets(
                            request.user,
                            model,
                            case_services.LinkScope.STREET
                            if data["kind"] == DispatchKind.DEPARTMENT
                            else case_services.LinkScope.IN_SCOPE,
                        ).values("pk")
                    )
                else:
                    queryset = model._default_manager.all()
                    if hasattr(model, "scope_path"):
                        queryset = restrict(queryset, request.user)
                target = queryset.filter(code=data["target"]).first()
            if target is None and model is not None:
                raise DjangoValidationError({"target": [f"找不到派单对象“{data['target']}”。"]})
        case = case_services.case_dispatch(
            actor=request.user,
            case=case,
            kind=data["kind"],
            target=target,
            note=data.get("note", ""),
        )
        return Response(
            s.CaseDetailSerializer(case_with_history(request.user).get(pk=case.pk)).data
        )

    @extend_schema(request=s.NoteSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[CaseStepPermission])
    def acknowledge(self, request, *args, **kwargs):
        """部门报到（吹哨报到）：由承办部门的账号本身办理；重复报到答 400。"""
        return self._step(request, s.NoteSerializer, case_services.case_acknowledge)

    @extend_schema(request=s.ExtendSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[CaseStepPermission])
    def extend(self, request, *args, **kwargs):
        """部门申请延期（说明理由；每件诉求限一次，最多 15 天）。"""
        return self._step(request, s.ExtendSerializer, case_services.case_extend)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.CaseDetailSerializer})
    @action(
        detail=True, methods=["post"], url_path="return", permission_classes=[CaseStepPermission]
    )
    def return_case(self, request, *args, **kwargs):
        """部门退回社区（说明理由）：诉求回到“已受理”，等待重新派单。"""
        return self._step(request, s.ReasonSerializer, case_services.case_return)

    @extend_schema(request=s.ResolveSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[CaseStepPermission])
    def resolve(self, request, *args, **kwargs):
        """办结：吹哨的诉求由承办部门办结；派给党员或下沉干部的由本人报告完成（hours 计入
        双报到活动记录）。"""
        return self._step(request, s.ResolveSerializer, case_services.case_resolve)

    @extend_schema(request=s.EvaluateSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[CaseStepPermission])
    def evaluate(self, request, *args, **kwargs):
        """代居民登记满意度评价（居民本人通过门户评价）。"""
        return self._step(request, s.EvaluateSerializer, case_services.case_evaluate)

    @extend_schema(request=s.ReopenSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[CaseStepPermission])
    def reopen(self, request, *args, **kwargs):
        """居民反映仍未解决：退回重办。"""
        return self._step(request, s.ReopenSerializer, case_services.case_reopen)

    @extend_schema(responses={200: s.CaseSerializer(many=True)})
    @action(detail=True, methods=["get"], permission_classes=[ViewModelPermission])
    def duplicates(self, request, *args, **kwargs):
        """同一楼栋或网格内同类未办结诉求：供受理人判断是否重复。"""
        case = self.get_object()
        return Response(
            s.CaseSerializer(case_possible_duplicates(case, user=request.user), many=True).data
        )

    @extend_schema(responses={200: s.CaseFiguresSerializer})
    @action(detail=False, methods=["get"])
    def figures(self, request, *args, **kwargs):
        """网格内解决、社区内解决、上报部门的占比，按时办结率，平均满意度（可按筛选条件）。"""
        return Response(case_figures(self.filter_queryset(self.get_queryset())))
