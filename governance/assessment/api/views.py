"""API: CRUD through the scoped base, workflow steps as actions that call one service."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.api.permissions import ScopedModelPermissions, ViewModelPermission
from core.api.viewsets import ScopedModelViewSet
from core.services import scoped_update
from governance.assessment import selectors, services
from governance.assessment.api import serializers as s
from governance.assessment.importers import (
    IndicatorImporter,
    ResultExporter,
    ScoreImporter,
    WorkItemImporter,
)
from governance.assessment.models import (
    AdmissionRequest,
    Indicator,
    IndicatorSet,
    Result,
    Score,
    WorkItem,
)


class ChangePermission(ScopedModelPermissions):
    """Workflow POST actions change a record: they need the model's change permission."""

    perms_map = {
        **ScopedModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }


class WorkListVersionViewSet(ScopedModelViewSet):
    """社区工作事项清单版本。`POST …/{code}/publish/` 发布（成为该街道现行清单）。"""

    serializer_class = s.WorkListVersionSerializer
    filterset_fields = ["status"]
    search_fields = ["title", "code"]
    ordering = ["street__code", "-published_at", "-id"]  # stable pages

    @staticmethod
    def selector(user):
        return selectors.work_lists_visible_to(user)

    def create_service(self, *, actor, data):
        return services.worklist_version_create(actor=actor, **data)

    @extend_schema(request=None, responses=s.WorkListVersionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def publish(self, request, code=None):
        version = services.worklist_publish(actor=request.user, version=self.get_object())
        return Response(
            s.WorkListVersionSerializer(
                selectors.work_lists_visible_to(request.user).get(pk=version.pk)
            ).data
        )


class WorkItemFilter(django_filters.FilterSet):
    version = django_filters.CharFilter(field_name="version__code", label="清单版本编码")
    community = django_filters.CharFilter(method="filter_community", label="社区编码（现行清单）")

    class Meta:
        model = WorkItem
        fields = ["version", "holder", "responsibility", "is_public", "community"]

    def filter_community(self, queryset, name, value):
        from organizations.models import Organization

        # Only a community in the user's scope: another one answers like an unknown code.
        user = getattr(self.request, "user", None)
        community = Organization.objects.visible_to(user).filter(code=value).first()
        if community is None:
            return queryset.none()
        ids = selectors.work_items_for(community).values("pk")
        return queryset.filter(pk__in=ids)


class WorkItemViewSet(ScopedModelViewSet):
    """工作事项。`?community=<社区编码>` 取该社区继承的现行清单。"""

    serializer_class = s.WorkItemSerializer
    filterset_class = WorkItemFilter
    importer_class = WorkItemImporter
    ordering = ["version_id", "seq"]

    @staticmethod
    def selector(user):
        return selectors.work_items_visible_to(user)

    def create_service(self, *, actor, data):
        return services.work_item_save(actor=actor, item=WorkItem(**data))

    def update_service(self, *, actor, instance, data):
        for name, value in data.items():
            setattr(instance, name, value)
        return services.work_item_save(actor=actor, item=instance)


class AdmissionFilter(django_filters.FilterSet):
    community = django_filters.CharFilter(field_name="community__code", label="社区编码")

    class Meta:
        model = AdmissionRequest
        fields = ["status", "refusable", "community"]


class AdmissionRequestViewSet(ScopedModelViewSet):
    """准入申请。审批：`approve/`、`refuse/`（须 reason）；社区一键拒绝：`community-refuse/`；
    统计：`GET …/figures/`。"""

    serializer_class = s.AdmissionRequestSerializer
    filterset_class = AdmissionFilter
    search_fields = ["title", "department", "code"]

    @staticmethod
    def selector(user):
        return selectors.admission_requests_visible_to(user)

    def create_service(self, *, actor, data):
        return services.admission_file(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        if instance.status != "pending":
            raise ValidationError("已处理的准入申请不能修改。")
        for name, value in data.items():
            setattr(instance, name, value)
        data = {**data, "refusable": bool(instance.missing_resources)}
        return scoped_update(actor=actor, instance=instance, data=data)

    def _step(self, request, step):
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        obj = step(self.get_object(), body.validated_data["reason"])
        return Response(s.AdmissionRequestSerializer(obj).data)

    @extend_schema(request=s.ReasonSerializer, responses=s.AdmissionRequestSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def approve(self, request, code=None):
        return self._step(
            request,
            lambda r, reason: services.admission_approve(
                actor=request.user, request=r, reason=reason
            ),
        )

    @extend_schema(request=s.ReasonSerializer, responses=s.AdmissionRequestSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def refuse(self, request, code=None):
        return self._step(
            request,
            lambda r, reason: services.admission_refuse(
                actor=request.user, request=r, reason=reason
            ),
        )

    @extend_schema(request=s.ReasonSerializer, responses=s.AdmissionRequestSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="community-refuse",
        permission_classes=[ChangePermission],
    )
    def community_refuse(self, request, code=None):
        return self._step(
            request,
            lambda r, reason: services.admission_community_refuse(
                actor=request.user, request=r, reason=reason
            ),
        )

    @extend_schema(responses={200: dict})
    @action(detail=False, methods=["get"])
    def figures(self, request):
        return Response(selectors.admission_figures(self.filter_queryset(self.get_queryset())))


class IndicatorSetViewSet(ScopedModelViewSet):
    """考核指标体系。`POST …/{code}/activate/` 校验权重并启用。"""

    serializer_class = s.IndicatorSetSerializer
    filterset_fields = ["status"]
    ordering = ["code"]  # stable pages

    @staticmethod
    def selector(user):
        return selectors.indicator_sets_visible_to(user)

    def create_service(self, *, actor, data):
        return services.scoring.indicator_set_save(actor=actor, indicator_set=IndicatorSet(**data))

    def update_service(self, *, actor, instance, data):
        for name, value in data.items():
            setattr(instance, name, value)
        return services.scoring.indicator_set_save(actor=actor, indicator_set=instance)

    def delete_service(self, *, actor, instance):
        services.scoring.indicator_set_delete(actor=actor, indicator_set=instance)

    @extend_schema(request=None, responses=s.IndicatorSetSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def activate(self, request, code=None):
        obj = services.indicator_set_activate(actor=request.user, indicator_set=self.get_object())
        return Response(
            s.IndicatorSetSerializer(
                selectors.indicator_sets_visible_to(request.user).get(pk=obj.pk)
            ).data
        )


class IndicatorViewSet(ScopedModelViewSet):
    """考核指标（方面、条目）：只读；通过 `import/` 从 Excel 导入到草稿指标体系。"""

    serializer_class = s.IndicatorSerializer
    importer_class = IndicatorImporter
    lookup_field = "pk"
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = {"indicator_set__code": ["exact"], "source": ["exact"]}

    @staticmethod
    def selector(user):
        return selectors.indicators_visible_to(user)

    def create(self, request, *args, **kwargs):
        raise PermissionDenied("请通过 import/ 导入指标，或在管理后台编辑草稿指标体系。")


class AssessmentViewSet(ScopedModelViewSet):
    """考核。`POST …/{code}/rollup/` 后台汇总排名；`GET …/{code}/ranking/?kind=` 读已存排名。"""

    serializer_class = s.AssessmentSerializer
    filterset_fields = ["period_kind"]

    @staticmethod
    def selector(user):
        return selectors.assessments_visible_to(user)

    def create_service(self, *, actor, data):
        return services.assessment_create(actor=actor, **data)

    @extend_schema(request=None, responses={202: s.RollupRunSerializer})
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def rollup(self, request, code=None):
        run = services.rollup_request(actor=request.user, assessment=self.get_object())
        return Response(s.RollupRunSerializer(run).data, status=202)

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, description="组织类型，默认社区")],
        responses=s.ResultSerializer(many=True),
    )
    @action(detail=True, methods=["get"], permission_classes=[ViewModelPermission])
    def ranking(self, request, code=None):
        rows = selectors.ranking(
            self.get_object(),
            request.query_params.get("kind", "community_committee"),
            request.user,
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.ResultSerializer(page, many=True).data)


class ScoreViewSet(ScopedModelViewSet):
    """上考评分：`POST` 录入或更正一条（同一组织同一条目再次提交即更正）；`import/` 按考核批量导入。"""

    serializer_class = s.ScoreSerializer
    importer_class = ScoreImporter
    lookup_field = "pk"
    filterset_fields = {
        "assessment__code": ["exact"],
        "organization__code": ["exact"],
        "source": ["exact"],
    }

    @staticmethod
    def selector(user):
        return selectors.scores_visible_to(user)

    def _enter(self, actor, data, instance=None):
        assessment = data.get("assessment") or instance.assessment
        code = data.get("indicator", {}).get("code") or instance.indicator.code
        indicator = Indicator.objects.filter(
            indicator_set_id=assessment.indicator_set_id, code=code
        ).first()
        if indicator is None:
            raise ValidationError({"indicator": f"条目“{code}”不在该考核的指标体系中。"})
        return services.score_enter(
            actor=actor,
            assessment=assessment,
            organization=data.get("organization") or instance.organization,
            indicator=indicator,
            value=data.get("value", instance.value if instance else None),
            evidence=data.get("evidence", instance.evidence if instance else ""),
        )

    def create_service(self, *, actor, data):
        return self._enter(actor, data)

    def update_service(self, *, actor, instance, data):
        return self._enter(actor, data, instance)


class TallyViewSet(ScopedModelViewSet):
    """下评满意度测评票数：`POST` 录入或更正（同一组织同一评议人类别再次提交即更正）。"""

    serializer_class = s.TallySerializer
    lookup_field = "pk"
    filterset_fields = {"assessment__code": ["exact"], "voter_kind": ["exact"]}

    @staticmethod
    def selector(user):
        return selectors.tallies_visible_to(user)

    def create_service(self, *, actor, data):
        return services.tally_record(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        fields = [
            "assessment",
            "organization",
            "voter_kind",
            "satisfied",
            "basically_satisfied",
            "dissatisfied",
            "held_on",
            "note",
        ]
        merged = {f: data.get(f, getattr(instance, f)) for f in fields}
        return services.tally_record(actor=actor, **merged)


class ResultFilter(django_filters.FilterSet):
    assessment = django_filters.CharFilter(field_name="assessment__code", label="考核编码")

    class Meta:
        model = Result
        fields = ["assessment", "kind"]


class ResultViewSet(ScopedModelViewSet):
    """考核结果（汇总时写入，读取不重算）；`export/` 导出 XLSX。"""

    serializer_class = s.ResultSerializer
    filterset_class = ResultFilter
    importer_class = ResultExporter
    lookup_field = "pk"
    http_method_names = ["get", "head", "options"]
    ordering = ["assessment_id", "kind", "rank"]

    @staticmethod
    def selector(user):
        return selectors.results_visible_to(user).order_by("assessment_id", "kind", "rank")


class RollupRunViewSet(viewsets.ReadOnlyModelViewSet):
    """汇总计算的状态与进度。"""

    serializer_class = s.RollupRunSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Score.objects.none()
        return selectors.runs_visible_to(self.request.user)
