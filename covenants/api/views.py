from __future__ import annotations

from datetime import date

from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api.viewsets import ScopedModelViewSet, StatusActionMixin
from covenants import selectors
from covenants.api.permissions import WorkflowPermission
from covenants.api.serializers import (
    ActivityAttachmentSerializer,
    ActivityAttachmentUploadSerializer,
    ActivityRecordSerializer,
    AgreementSerializer,
    AgreementSignSerializer,
    AgreementTemplateSerializer,
    AgreementTerminateSerializer,
    CovenantSerializer,
    CovenantVersionSerializer,
    LiaisonLogSerializer,
    MatchedProjectSerializer,
    NeedSerializer,
    PartnerUnitSerializer,
    ServiceProjectSerializer,
    UnitAssessmentComputeSerializer,
    UnitAssessmentSerializer,
    UnitMemberSerializer,
    UnitResourceSerializer,
)
from covenants.filtersets import (
    ActivityFilterSet,
    AgreementFilterSet,
    LiaisonLogFilterSet,
    NeedFilterSet,
    PartnerUnitFilterSet,
    ResourceFilterSet,
    UnitAssessmentFilterSet,
)
from covenants.importers import (
    ActivityRecordImporter,
    AgreementImporter,
    LiaisonLogImporter,
    NeedImporter,
    PartnerUnitImporter,
    ProjectImporter,
    ResourceImporter,
    UnitAssessmentExporter,
)
from covenants.models import AgreementClause
from covenants.services import (
    activity_confirm,
    activity_delete,
    activity_record,
    activity_update,
    agreement_delete,
    agreement_draft,
    agreement_sign,
    agreement_terminate,
    agreement_update,
    assessment_compute,
    attachment_add,
    covenant_adopt_version,
    covenant_create,
    covenant_update,
    liaison_log_record,
    liaison_log_update,
    need_create,
    need_update,
    project_claim,
    project_match,
    project_match_update,
    project_update,
    resource_create,
    resource_update,
    template_update,
    unit_create,
    unit_delete,
    unit_update,
)
from covenants.views import print_context
from organizations.models import Organization

# ---------------------------------------------------------------- reports (plain serializers)


class UnitActivityRowSerializer(serializers.Serializer):
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    kind = serializers.CharField(source="unit.kind")
    activities = serializers.IntegerField()
    handouts = serializers.IntegerField()
    handout_share = serializers.FloatField(allow_null=True)
    contacts = serializers.IntegerField()
    contact_months = serializers.IntegerField()
    last_contact = serializers.DateField(allow_null=True)
    last_activity = serializers.DateField(allow_null=True)
    inactive = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class UnitActivityTableSerializer(serializers.Serializer):
    organization = serializers.CharField(allow_null=True)
    start = serializers.DateField()
    end = serializers.DateField()
    on = serializers.DateField()
    activities = serializers.IntegerField()
    handouts = serializers.IntegerField()
    handout_share = serializers.FloatField(allow_null=True)
    inactive_count = serializers.IntegerField()
    rows = UnitActivityRowSerializer(many=True)


class StreetActivityRowSerializer(serializers.Serializer):
    street = serializers.CharField(source="street.code")
    street_name = serializers.CharField(source="street.name")
    activities = serializers.IntegerField()
    handouts = serializers.IntegerField()
    handout_share = serializers.FloatField(allow_null=True)
    contacts = serializers.IntegerField()


def _report_args(request) -> tuple[Organization | None, int | None, date | None]:
    code = request.query_params.get("organization")
    organization = None
    if code:
        organization = Organization.objects.visible_to(request.user).filter(code=code).first()
        if organization is None:
            raise Http404
    try:
        year = int(request.query_params["year"]) if request.query_params.get("year") else None
        on = (
            date.fromisoformat(request.query_params["on"])
            if request.query_params.get("on")
            else None
        )
    except ValueError:
        raise ValidationError({"year": ["年度或日期格式不正确（YYYY / YYYY-MM-DD）。"]}) from None
    if year is not None and not 1900 <= year <= 2999:
        raise ValidationError({"year": ["年度应在 1900–2999 之间。"]})
    return organization, year, on


REPORT_PARAMS = [
    OpenApiParameter("organization", str, description="街道或社区编码；默认整个管辖范围"),
    OpenApiParameter("year", int, description="年度（1900–2999），默认今年"),
    OpenApiParameter("on", str, description="截至日期 YYYY-MM-DD（不活跃判定），默认今天"),
]


class PartnerUnitViewSet(ScopedModelViewSet):
    """共驻共建单位。可见范围：登记组织及其共建社区/街道的管辖用户；只有登记组织一方可修改。"""

    serializer_class = PartnerUnitSerializer
    filterset_class = PartnerUnitFilterSet
    importer_class = PartnerUnitImporter
    search_fields = ["name", "code", "credit_code", "liaison_name"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    @staticmethod
    def selector(user):
        return selectors.units_visible_to(user)

    def create_service(self, *, actor, data):
        return unit_create(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return unit_update(actor=actor, unit=instance, **data)

    def delete_service(self, *, actor, instance):
        unit_delete(actor=actor, unit=instance)

    def retrieve(self, request, *args, **kwargs):
        """单位详情，含 ``registered_members``：在职党员双报到及最近社区反馈等次（按报到社区限定范围）。"""
        unit = self.get_object()
        data = self.get_serializer(unit).data
        data["registered_members"] = UnitMemberSerializer(
            selectors.unit_members(request.user, unit), many=True
        ).data
        return Response(data)

    @extend_schema(responses=UnitMemberSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def members(self, request, *args, **kwargs):
        """本单位在职党员在社区的双报到情况及最近一次社区反馈等次（按报到社区限定范围）。"""
        unit = self.get_object()
        rows = selectors.unit_members(request.user, unit)
        return Response(UnitMemberSerializer(rows, many=True).data)

    @extend_schema(parameters=REPORT_PARAMS, responses=UnitActivityTableSerializer)
    @action(detail=False, methods=["get"], url_path="activity-table", pagination_class=None)
    def activity_table(self, request, *args, **kwargs):
        """共建单位活动情况表：活动次数、走访慰问占比、联系情况和不活跃标记。"""
        organization, year, on = _report_args(request)
        table = selectors.unit_activity_table(
            request.user, organization=organization, year=year, on=on
        )
        return Response(
            {
                "organization": organization.code if organization else None,
                "start": table.start,
                "end": table.end,
                "on": table.on,
                "activities": table.activities,
                "handouts": table.handouts,
                "handout_share": table.handout_share,
                "inactive_count": table.inactive_count,
                "rows": UnitActivityRowSerializer(table.rows, many=True).data,
            }
        )

    @extend_schema(parameters=REPORT_PARAMS, responses=UnitActivityRowSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def inactive(self, request, *args, **kwargs):
        """不活跃单位：近一个月无联系或近一个季度无活动。"""
        organization, _, on = _report_args(request)
        rows = selectors.inactive_units(request.user, organization=organization, on=on)
        return Response(UnitActivityRowSerializer(rows, many=True).data)

    @extend_schema(parameters=REPORT_PARAMS[1:2], responses=StreetActivityRowSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, url_path="street-summary")
    def street_summary(self, request, *args, **kwargs):
        """各街道活动次数、走访慰问次数及占比、联系次数。"""
        _, year, _ = _report_args(request)
        rows = selectors.street_activity_summary(
            request.user, year=year or timezone.localdate().year
        )
        return Response(StreetActivityRowSerializer(rows, many=True).data)


class AgreementViewSet(ScopedModelViewSet):
    """共建协议。签订、终止、打印是单独的操作。"""

    serializer_class = AgreementSerializer
    filterset_class = AgreementFilterSet
    importer_class = AgreementImporter
    search_fields = ["code", "title", "unit__name"]
    ordering_fields = ["code", "starts_on", "ends_on"]
    ordering = ["-starts_on", "code"]

    @staticmethod
    def selector(user):
        from django.db.models import Prefetch

        return selectors.agreements_visible_to(user).prefetch_related(
            Prefetch("clauses", queryset=AgreementClause.objects.order_by("number"))
        )

    def create_service(self, *, actor, data):
        return agreement_draft(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return agreement_update(actor=actor, agreement=instance, **data)

    def delete_service(self, *, actor, instance):
        agreement_delete(actor=actor, agreement=instance)

    def _refetched(self, agreement):
        return self.get_queryset().get(pk=agreement.pk)

    @extend_schema(request=AgreementSignSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def sign(self, request, *args, **kwargs):
        """签订（草稿 → 已签订）。同一甲乙双方期限重叠的已签协议只能有一份。"""
        agreement = self.get_object()
        params = AgreementSignSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        agreement_sign(actor=request.user, agreement=agreement, **params.validated_data)
        return Response(self.get_serializer(self._refetched(agreement)).data)

    @extend_schema(request=AgreementTerminateSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def terminate(self, request, *args, **kwargs):
        """终止（须填写原因）。"""
        agreement = self.get_object()
        params = AgreementTerminateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        agreement_terminate(actor=request.user, agreement=agreement, **params.validated_data)
        return Response(self.get_serializer(self._refetched(agreement)).data)

    @extend_schema(responses={(200, "text/html"): str})
    @action(detail=True, methods=["get"], url_path="print")
    def print_view(self, request, *args, **kwargs):
        """可打印的协议书（HTML，浏览器打印或另存为 PDF）。"""
        agreement = selectors.agreement_for_print(request.user, self.get_object().code)
        html = render_to_string("covenants/agreement_print.html", print_context(agreement))
        return HttpResponse(html, content_type="text/html; charset=utf-8")

    @extend_schema(
        parameters=[OpenApiParameter("within_days", int, description="天数（0–3660），默认 30")],
        responses=AgreementSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def expiring(self, request, *args, **kwargs):
        """30 天内到期的已签订协议（看板提醒）。"""
        try:
            days = int(request.query_params.get("within_days", 30))
        except ValueError:
            raise ValidationError({"within_days": ["应为整数。"]}) from None
        if not 0 <= days <= 3660:
            raise ValidationError({"within_days": ["应在 0–3660 天之间。"]})
        queryset = selectors.agreements_expiring(request.user, within_days=days).prefetch_related(
            "clauses"
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AgreementTemplateViewSet(ScopedModelViewSet):
    """各街道的协议条款模板（默认取共驻共建协议书十条）。按街道编码访问。"""

    serializer_class = AgreementTemplateSerializer
    lookup_field = "organization__code"
    lookup_url_kwarg = "street"
    http_method_names = ["get", "put", "patch", "head", "options"]
    ordering = ["organization__code"]  # stable pages

    @staticmethod
    def selector(user):
        from covenants.models import AgreementTemplate

        return (
            AgreementTemplate.objects.visible_to(user)
            .select_related("organization")
            .prefetch_related("clauses")
        )

    def update_service(self, *, actor, instance, data):
        return template_update(actor=actor, template=instance, **data)


class ServiceProjectViewSet(StatusActionMixin, ScopedModelViewSet):
    """认领项目（六个共建）。"""

    serializer_class = ServiceProjectSerializer
    filterset_fields = ["category", "status"]
    search_fields = ["code", "title"]
    ordering = ["code"]

    @staticmethod
    def selector(user):
        return selectors.service_projects_visible_to(user)

    def create_service(self, *, actor, data):
        return project_claim(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return project_update(actor=actor, project=instance, **data)


class ActivityViewSet(ScopedModelViewSet):
    """活动记录：资料上传（类型、大小受限）、社区确认。"""

    serializer_class = ActivityRecordSerializer
    filterset_class = ActivityFilterSet
    importer_class = ActivityRecordImporter
    search_fields = ["code", "title"]
    ordering_fields = ["date", "code"]
    ordering = ["-date", "code"]

    @staticmethod
    def selector(user):
        return selectors.activities_visible_to(user)

    def create_service(self, *, actor, data):
        return activity_record(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return activity_update(actor=actor, activity=instance, **data)

    def delete_service(self, *, actor, instance):
        activity_delete(actor=actor, activity=instance)

    @extend_schema(request=None, responses=ActivityRecordSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def confirm(self, request, *args, **kwargs):
        """社区确认活动（须已移交活动记录或影像资料）。"""
        activity = self.get_object()
        activity_confirm(actor=request.user, activity=activity)
        return Response(self.get_serializer(self.get_queryset().get(pk=activity.pk)).data)

    @extend_schema(
        request=ActivityAttachmentUploadSerializer, responses=ActivityAttachmentSerializer
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        permission_classes=[WorkflowPermission],
    )
    def attachments(self, request, *args, **kwargs):
        """上传活动方案（plan）、活动记录（record）或影像资料（photo）。"""
        activity = self.get_object()
        params = ActivityAttachmentUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        attachment = attachment_add(
            actor=request.user,
            activity=activity,
            kind=params.validated_data["kind"],
            upload=params.validated_data["file"],
        )
        return Response(
            ActivityAttachmentSerializer(attachment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class LiaisonLogViewSet(ScopedModelViewSet):
    """联络工作手册（单位联络员每月与社区联系会商的记录）。"""

    serializer_class = LiaisonLogSerializer
    filterset_class = LiaisonLogFilterSet
    importer_class = LiaisonLogImporter
    lookup_field = "pk"
    ordering = ["-date", "-id"]

    @staticmethod
    def selector(user):
        return selectors.liaison_logs_visible_to(user)

    def create_service(self, *, actor, data):
        return liaison_log_record(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return liaison_log_update(actor=actor, log=instance, **data)


class NeedViewSet(StatusActionMixin, ScopedModelViewSet):
    """需求清单。`unmatched/` 列出尚未对接的需求。"""

    serializer_class = NeedSerializer
    filterset_class = NeedFilterSet
    importer_class = NeedImporter
    search_fields = ["code", "title"]
    ordering = ["-reported_on", "code"]

    @staticmethod
    def selector(user):
        return selectors.needs_visible_to(user)

    def create_service(self, *, actor, data):
        return need_create(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return need_update(actor=actor, need=instance, **data)

    @extend_schema(responses=NeedSerializer(many=True))
    @action(detail=False, methods=["get"])
    def unmatched(self, request, *args, **kwargs):
        page = self.paginate_queryset(selectors.needs_unmatched(request.user).order_by("code"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ResourceViewSet(ScopedModelViewSet):
    """资源清单。`idle/` 列出闲置资源。"""

    serializer_class = UnitResourceSerializer
    filterset_class = ResourceFilterSet
    importer_class = ResourceImporter
    search_fields = ["code", "title"]
    ordering = ["code"]

    @staticmethod
    def selector(user):
        return selectors.resources_visible_to(user)

    def create_service(self, *, actor, data):
        return resource_create(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return resource_update(actor=actor, resource=instance, **data)

    @extend_schema(responses=UnitResourceSerializer(many=True))
    @action(detail=False, methods=["get"])
    def idle(self, request, *args, **kwargs):
        page = self.paginate_queryset(selectors.resources_idle(request.user).order_by("code"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ProjectViewSet(StatusActionMixin, ScopedModelViewSet):
    """项目清单：需求与资源的对接。"""

    serializer_class = MatchedProjectSerializer
    importer_class = ProjectImporter
    filterset_fields = ["status"]
    ordering = ["code"]

    @staticmethod
    def selector(user):
        return selectors.matches_visible_to(user)

    def create_service(self, *, actor, data):
        return project_match(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return project_match_update(actor=actor, project=instance, **data)


class UnitAssessmentViewSet(ScopedModelViewSet):
    """单位考核（只读；`compute/` 按活动、联系和会议出席计算评定）。`export/` 生成交区目标考核的报表。"""

    serializer_class = UnitAssessmentSerializer
    filterset_class = UnitAssessmentFilterSet
    importer_class = UnitAssessmentExporter
    lookup_field = "pk"
    ordering = ["-year", "unit__code"]
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(exclude=True)  # not an operation: answers 405 with where to go instead
    def create(self, request, *args, **kwargs):
        raise MethodNotAllowed("POST", detail="考核结果由 compute/ 计算生成，不能直接新建。")

    @staticmethod
    def selector(user):
        return selectors.assessments_visible_to(user)

    @extend_schema(request=UnitAssessmentComputeSerializer, responses=UnitAssessmentSerializer)
    @action(detail=False, methods=["post"], permission_classes=[WorkflowPermission])
    def compute(self, request, *args, **kwargs):
        params = UnitAssessmentComputeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        assessment = assessment_compute(actor=request.user, **params.validated_data)
        return Response(self.get_serializer(assessment).data)


class CovenantViewSet(ScopedModelViewSet):
    """居民公约 / 小区自治章程；`adopt/` 登记居民议事会通过的新版本（成为现行公开版本）。"""

    serializer_class = CovenantSerializer
    filterset_fields = ["kind"]
    ordering = ["code"]

    @staticmethod
    def selector(user):
        return selectors.covenants_visible_to(user)

    def create_service(self, *, actor, data):
        return covenant_create(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return covenant_update(actor=actor, covenant=instance, **data)

    @extend_schema(request=CovenantVersionSerializer, responses=CovenantVersionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def adopt(self, request, *args, **kwargs):
        covenant = self.get_object()
        params = CovenantVersionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        version = covenant_adopt_version(
            actor=request.user, covenant=covenant, **params.validated_data
        )
        return Response(CovenantVersionSerializer(version).data, status=status.HTTP_201_CREATED)
