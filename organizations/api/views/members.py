"""API viewsets for members, 双报到, seats, standing posts, the six needles and 六有.

Plain CRUD goes through the services; workflow steps (feedback, conclude, publish) have their
own actions; figures are list actions computed set-based by the selectors.
"""

from datetime import date, timedelta

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.pagination import LargeTablePagination
from core.api.viewsets import ScopedModelViewSet, StatusActionMixin
from organizations import selectors, services
from organizations.api import serializers as s
from organizations.filtersets import (
    AppraisalFilterSet,
    BodyFilterSet,
    CadreFilterSet,
    ClaimFilterSet,
    MemberActivityFilterSet,
    MemberFilterSet,
    PostFilterSet,
    RegistrationFilterSet,
    SeatFilterSet,
)
from organizations.importers import (
    AppraisalImporter,
    BodyImporter,
    CommitteeSeatImporter,
    FinancialDisclosureImporter,
    MemberActivityImporter,
    MemberImporter,
    PostClaimImporter,
    PostImporter,
    RegistrationImporter,
    SentDownCadreImporter,
    SixHavesImporter,
    StandingAppointmentImporter,
)
from organizations.models import Organization, SentDownCadre


class MemberViewSet(StatusActionMixin, ScopedModelViewSet):
    """党员。身份证号、电话在响应中始终脱敏；`POST …/{编号}/reveal/` 说明用途后查看完整值（记录在案）。"""

    serializer_class = s.MemberSerializer
    filterset_class = MemberFilterSet
    importer_class = MemberImporter
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code", "join_date", "birth_date"]
    ordering = ["name", "id"]
    pagination_class = LargeTablePagination
    cursor_ordering = ("name", "id")

    @staticmethod
    def selector(user):
        return selectors.members_visible_to(user)

    def create_service(self, *, actor, data):
        return services.member_create(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return services.member_update(actor=actor, member=instance, **data)

    def delete_service(self, *, actor, instance):
        services.member_delete(actor=actor, member=instance)

    @extend_schema(
        parameters=[OpenApiParameter("root", str, description="只统计该组织及其下级（组织编码）")],
        responses=s.MemberCountSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path="counts")
    def counts(self, request):
        """每个党组织的党员数（含全部下级）：一次查询，不随组织数增加。"""
        root = None
        if request.query_params.get("root"):
            root = (
                Organization.objects.visible_to(request.user)
                .filter(code=request.query_params["root"])
                .first()
            )
            if root is None:
                raise ValidationError({"root": ["找不到该组织或不在您的管辖范围内。"]})
        rows = selectors.member_counts(request.user, root=root)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.MemberCountSerializer(page, many=True).data)


class PostViewSet(ScopedModelViewSet):
    """服务岗位（设岗定责）。"""

    serializer_class = s.PostSerializer
    filterset_class = PostFilterSet
    importer_class = PostImporter
    search_fields = ["name", "code"]
    ordering = ["community__code", "kind", "name"]

    @staticmethod
    def selector(user):
        return selectors.posts_visible_to(user)


class RegistrationViewSet(ScopedModelViewSet):
    """在职党员到居住社区双报到。`POST …/{报到编号}/feedback/` 填写年度反馈表（进入民主评议）。"""

    serializer_class = s.RegistrationSerializer
    filterset_class = RegistrationFilterSet
    importer_class = RegistrationImporter
    search_fields = ["member__name", "code"]
    ordering = ["-registered_on", "id"]

    @staticmethod
    def selector(user):
        return selectors.registrations_visible_to(user)

    def create_service(self, *, actor, data):
        return services.registration_create(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return services.registration_update(actor=actor, registration=instance, **data)

    @extend_schema(request=s.FeedbackSerializer, responses=s.AppraisalSerializer)
    @action(detail=True, methods=["post"], url_path="feedback")
    def feedback(self, request, *args, **kwargs):
        registration = self.get_object()
        payload = s.FeedbackSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        appraisal = services.feedback_submit(
            actor=request.user, registration=registration, **payload.validated_data
        )
        return Response(s.AppraisalSerializer(appraisal).data)

    @extend_schema(responses=s.RegistrationStatsSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, url_path="stats")
    def stats(self, request):
        """每个社区：报到人数、认领岗位人数（种子数据中为 196 人报到、145 人认岗）、本季度活跃人数。"""
        rows = selectors.registration_stats(request.user)
        return Response(s.RegistrationStatsSerializer(rows, many=True).data)


class PostClaimViewSet(ScopedModelViewSet):
    """岗位认领；同一党员不能重复认领同一岗位，岗位名额已满不能认领。"""

    serializer_class = s.PostClaimSerializer
    filterset_class = ClaimFilterSet
    importer_class = PostClaimImporter
    ordering = ["-claimed_on", "id"]

    @staticmethod
    def selector(user):
        return selectors.claims_visible_to(user)

    def create_service(self, *, actor, data):
        return services.post_claim(actor=actor, **{k: v for k, v in data.items() if k != "code"})

    def update_service(self, *, actor, instance, data):
        return services.post_claim_update(actor=actor, claim=instance, **data)

    def delete_service(self, *, actor, instance):
        services.post_claim_withdraw(actor=actor, claim=instance)


class MemberActivityViewSet(ScopedModelViewSet):
    """报到党员活动记录卡。"""

    serializer_class = s.MemberActivitySerializer
    filterset_class = MemberActivityFilterSet
    importer_class = MemberActivityImporter
    ordering = ["-date", "id"]

    @staticmethod
    def selector(user):
        return selectors.activities_visible_to(user)


class AppraisalViewSet(ScopedModelViewSet):
    """民主评议。`POST …/{评议编号}/conclude/` 确定结果（不填则取社区反馈等次）；不合格者当年不能评先评优。"""

    serializer_class = s.AppraisalSerializer
    filterset_class = AppraisalFilterSet
    importer_class = AppraisalImporter
    ordering = ["-year", "id"]

    @staticmethod
    def selector(user):
        return selectors.appraisals_visible_to(user)

    def create_service(self, *, actor, data):
        from organizations.models import Appraisal

        return services.appraisal_save(actor=actor, appraisal=Appraisal(**data))

    def update_service(self, *, actor, instance, data):
        for name, value in data.items():
            setattr(instance, name, value)
        return services.appraisal_save(actor=actor, appraisal=instance)

    @extend_schema(request=s.ConcludeSerializer, responses=s.AppraisalSerializer)
    @action(detail=True, methods=["post"], url_path="conclude")
    def conclude(self, request, *args, **kwargs):
        appraisal = self.get_object()
        payload = s.ConcludeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        appraisal = services.appraisal_conclude(
            actor=request.user, appraisal=appraisal, grade=payload.validated_data.get("grade", "")
        )
        return Response(s.AppraisalSerializer(appraisal).data)


class CommitteeSeatViewSet(ScopedModelViewSet):
    """兼职委员；`GET …/three-thirds/` 各党委“三三制”构成及是否均衡（每类在三分之一 ±1 席内）。"""

    serializer_class = s.CommitteeSeatSerializer
    filterset_class = SeatFilterSet
    importer_class = CommitteeSeatImporter
    search_fields = ["person_name", "code"]
    ordering = ["committee__code", "seat_type", "person_name"]

    @staticmethod
    def selector(user):
        return selectors.seats_visible_to(user)

    @extend_schema(responses=s.ThreeThirdsSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, url_path="three-thirds")
    def three_thirds(self, request):
        rows = selectors.three_thirds(request.user)
        return Response(s.ThreeThirdsSerializer(rows, many=True).data)


class StandingAppointmentViewSet(ScopedModelViewSet):
    """第一书记、党建专员、公共卫生专员、法治专员、网格指导员的任职。"""

    serializer_class = s.StandingAppointmentSerializer
    importer_class = StandingAppointmentImporter
    filterset_fields = ["kind"]
    search_fields = ["person_name", "code"]
    ordering = ["community__code", "kind", "-start_date"]

    @staticmethod
    def selector(user):
        return selectors.appointments_visible_to(user)


class SentDownCadreViewSet(ScopedModelViewSet):
    """下沉党员与值班表；`GET …/gaps/?start=&end=` 列出无人值班的社区工作日。"""

    serializer_class = s.SentDownCadreSerializer
    filterset_class = CadreFilterSet
    importer_class = SentDownCadreImporter
    search_fields = ["person_name", "code"]
    ordering = ["community__code", "person_name"]

    @staticmethod
    def selector(user):
        return selectors.cadres_visible_to(user)

    def create_service(self, *, actor, data):
        weekdays = data.pop("duty_weekdays", None)
        return services.sent_down_cadre_save(
            actor=actor, cadre=SentDownCadre(**data), weekdays=weekdays
        )

    def update_service(self, *, actor, instance, data):
        weekdays = data.pop("duty_weekdays", None)
        for name, value in data.items():
            setattr(instance, name, value)
        return services.sent_down_cadre_save(actor=actor, cadre=instance, weekdays=weekdays)

    def perform_create(self, serializer):
        super().perform_create(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", date, description="开始日期，默认今天"),
            OpenApiParameter("end", date, description="结束日期，默认开始后 13 天"),
        ],
        responses=s.DutyGapSerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None, url_path="gaps")
    def gaps(self, request):
        dates = serializers.DictField(child=serializers.DateField())
        try:
            parsed = dates.to_internal_value(
                {k: v for k, v in request.query_params.items() if k in ("start", "end")}
            )
        except serializers.ValidationError as exc:
            raise ValidationError({"start": exc.detail}) from None
        start = parsed.get("start") or date.today()
        end = parsed.get("end") or start + timedelta(days=13)
        if end < start or (end - start).days > 366:
            raise ValidationError({"end": ["结束日期应不早于开始日期，且区间不超过一年。"]})
        gaps = selectors.duty_gaps(request.user, start=start, end=end)
        return Response(s.DutyGapSerializer(gaps, many=True).data)


class BodyViewSet(ScopedModelViewSet):
    """社区 6 根针；`GET …/coverage/` 各街道、社区的党组织领导业委会覆盖率和红色物业小区覆盖率。"""

    serializer_class = s.BodySerializer
    filterset_class = BodyFilterSet
    importer_class = BodyImporter
    search_fields = ["name", "code", "head_name"]
    ordering = ["community__code", "kind", "name"]

    @staticmethod
    def selector(user):
        return selectors.bodies_visible_to(user)

    @extend_schema(responses=s.NeedleCoverageSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="coverage", pagination_class=None)
    def coverage(self, request):
        rows = selectors.needle_coverage(request.user)
        return Response(s.NeedleCoverageSerializer(rows, many=True).data)


class FinancialDisclosureViewSet(ScopedModelViewSet):
    """股份合作公司财务信息公开；`POST …/{编号}/publish/` 在门户公开，`…/withdraw/` 撤回。"""

    serializer_class = s.FinancialDisclosureSerializer
    importer_class = FinancialDisclosureImporter
    filterset_fields = ["is_public"]
    search_fields = ["title", "code"]
    ordering = ["-period_end", "id"]

    @staticmethod
    def selector(user):
        return selectors.disclosures_visible_to(user)

    @extend_schema(request=None, responses=s.FinancialDisclosureSerializer)
    @action(detail=True, methods=["post"], url_path="publish")
    def publish(self, request, *args, **kwargs):
        disclosure = services.disclosure_publish(actor=request.user, disclosure=self.get_object())
        return Response(self.get_serializer(disclosure).data)

    @extend_schema(request=None, responses=s.FinancialDisclosureSerializer)
    @action(detail=True, methods=["post"], url_path="withdraw")
    def withdraw(self, request, *args, **kwargs):
        disclosure = services.disclosure_withdraw(actor=request.user, disclosure=self.get_object())
        return Response(self.get_serializer(disclosure).data)


class SixHavesViewSet(ScopedModelViewSet):
    """小区党支部六有核查（按党支部编码）；`GET …/coverage/` 各社区六有达标覆盖。"""

    serializer_class = s.SixHavesSerializer
    importer_class = SixHavesImporter
    lookup_field = "branch__code"
    lookup_url_kwarg = "branch"
    ordering = ["branch__code"]
    filterset_class = None

    @staticmethod
    def selector(user):
        return selectors.six_haves_visible_to(user)

    @extend_schema(responses=s.SixHavesCoverageSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="coverage", pagination_class=None)
    def coverage(self, request):
        rows = selectors.six_haves_coverage(request.user)
        return Response(s.SixHavesCoverageSerializer(rows, many=True).data)
