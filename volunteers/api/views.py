"""Volunteers API. Plain CRUD through the scoped viewset base; every workflow step is an
action endpoint: input serializer → one service → output serializer."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    permission_classes,
)
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import ics
from core.api.schema import ErrorResponseSerializer
from core.api.viewsets import ScopedModelViewSet
from core.scope import require_in_scope
from core.services import scoped_update
from core.tokens import ExpiringTokenAuthentication
from covenants.models import PartnerUnit
from organizations.models import Organization
from volunteers import ics as feeds
from volunteers import selectors, services
from volunteers.api import serializers as s
from volunteers.filtersets import (
    ActivityFilterSet,
    HoursEntryFilterSet,
    SignUpFilterSet,
    TeamFilterSet,
    VolunteerFilterSet,
    WishFilterSet,
)
from volunteers.importers import (
    ActivityImporter,
    HoursEntryExporter,
    SignUpExporter,
    SkillImporter,
    TeamImporter,
    VolunteerImporter,
    WishExporter,
)

FEED_URL = inline_serializer("VolunteerFeedUrl", {"url": drf_serializers.URLField()})
FEED_PARAMETERS = [OpenApiParameter("token", str, description="订阅令牌（见 calendar-feed）")]
FEED_RESPONSES = {
    (200, "text/calendar"): bytes,
    404: OpenApiResponse(ErrorResponseSerializer, description=ics.INVALID),
    410: OpenApiResponse(ErrorResponseSerializer, description=ics.EXPIRED),
}


def _visible_volunteer(user, number: str):
    return get_object_or_404(selectors.volunteers_visible_to(user), number=number)


class SkillViewSet(ScopedModelViewSet):
    """志愿技能（全系统共用的字典）。"""

    serializer_class = s.SkillSerializer
    importer_class = SkillImporter
    search_fields = ["code", "name"]

    @staticmethod
    def selector(user):
        return selectors.skills_all()

    def create_service(self, *, actor, data):
        return services.skill_save(actor=actor, skill=s.SkillSerializer.Meta.model(**data))

    def update_service(self, *, actor, instance, data):
        for name, value in data.items():
            setattr(instance, name, value)
        return services.skill_save(actor=actor, skill=instance)

    def delete_service(self, *, actor, instance):
        services.skill_delete(actor=actor, skill=instance)


class VolunteerViewSet(ScopedModelViewSet):
    """志愿者。电话、身份证号始终脱敏；`POST …/reveal/` 查看完整信息（记录用途）。"""

    serializer_class = s.VolunteerSerializer
    filterset_class = VolunteerFilterSet
    importer_class = VolunteerImporter
    lookup_field = "number"
    search_fields = ["number", "name"]
    ordering_fields = ["number", "name", "registered_on", "total_hours"]
    ordering = ["number"]

    @staticmethod
    def selector(user):
        return selectors.volunteers_visible_to(user)

    def create_service(self, *, actor, data):
        volunteer = services.volunteer_create(actor=actor, **data)
        return self.get_queryset().get(pk=volunteer.pk)

    def update_service(self, *, actor, instance, data):
        new_status = data.pop("status", None)
        if new_status and new_status != instance.status:
            raise ValidationError({"status": ["请通过 …/status/ 接口变更注册状态。"]})
        volunteer = services.volunteer_update(actor=actor, volunteer=instance, **data)
        return self.get_queryset().get(pk=volunteer.pk)

    def delete_service(self, *, actor, instance):
        raise MethodNotAllowed("DELETE", detail="志愿者不能删除，请改为“暂停”状态。")

    @extend_schema(request=s.VolunteerStatusSerializer, responses=s.VolunteerSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, number=None):
        """审核申请（已注册）、暂停（须说明原因）或恢复。"""
        payload = s.VolunteerStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        volunteer = services.volunteer_set_status(
            actor=request.user, volunteer=self.get_object(), **payload.validated_data
        )
        return Response(s.VolunteerSerializer(self.get_queryset().get(pk=volunteer.pk)).data)

    @extend_schema(
        parameters=[OpenApiParameter("year", int)],
        responses=s.HoursEntrySerializer(many=True),
    )
    @extend_schema(responses=FEED_URL)
    @action(detail=True, methods=["get"], url_path="calendar-feed")
    def calendar_feed(self, request, number=None):
        """该志愿者所报名活动的日历订阅地址（iCalendar，带只读签名令牌）；已取消的报名标为 CANCELLED。"""
        volunteer = self.get_object()
        path = feeds.volunteer_feed_path(volunteer)
        url = ics.feed_url(request, path, request.user, feeds.VOLUNTEER, volunteer.number)
        return Response({"url": url})

    @action(detail=True, methods=["get"], url_path="hours")
    def hours(self, request, number=None):
        """服务时长证明：合计（全部台账记录之和）、星级、距下一星级、按来源小计和台账明细。"""
        volunteer = self.get_object()
        year = request.query_params.get("year")
        summary = selectors.volunteer_hours_summary(
            volunteer, year=int(year) if year and year.isdigit() else None
        )
        entries = s.HoursEntrySerializer(selectors.volunteer_ledger(volunteer), many=True).data
        return Response({"volunteer": volunteer.number, **_jsonable(summary), "entries": entries})


class TeamViewSet(ScopedModelViewSet):
    """志愿服务队（含临时应急队伍）。队员以志愿者编号表示。"""

    serializer_class = s.TeamSerializer
    filterset_class = TeamFilterSet
    importer_class = TeamImporter
    search_fields = ["code", "name"]
    ordering = ["code"]

    @staticmethod
    def selector(user):
        return selectors.teams_visible_to(user)

    def get_serializer_class(self):
        return s.TeamListSerializer if self.action == "list" else s.TeamSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related("members")
        return queryset

    def create_service(self, *, actor, data):
        team = services.team_create(actor=actor, **data)
        return self.get_queryset().get(pk=team.pk)

    def update_service(self, *, actor, instance, data):
        team = services.team_update(actor=actor, team=instance, **data)
        return self.get_queryset().get(pk=team.pk)


class ActivityViewSet(ScopedModelViewSet):
    """志愿活动。`POST …/sign-ups/` 报名（满员进入候补），`POST …/cancel/` 取消活动。"""

    serializer_class = s.ActivitySerializer
    filterset_class = ActivityFilterSet
    importer_class = ActivityImporter
    search_fields = ["code", "title", "place"]
    ordering_fields = ["starts_at", "code"]
    ordering = ["-starts_at", "code"]

    @staticmethod
    def selector(user):
        return selectors.activities_visible_to(user)

    def create_service(self, *, actor, data):
        activity = services.activity_create(actor=actor, **data)
        return self.get_queryset().get(pk=activity.pk)

    def update_service(self, *, actor, instance, data):
        activity = services.activity_update(actor=actor, activity=instance, **data)
        return self.get_queryset().get(pk=activity.pk)

    def delete_service(self, *, actor, instance):
        raise MethodNotAllowed("DELETE", detail="活动不能删除，请使用“取消活动”。")

    @extend_schema(request=s.ReasonSerializer, responses=s.ActivitySerializer)
    @extend_schema(responses=FEED_URL)
    @action(detail=False, methods=["get"], url_path=r"calendar-feed/(?P<community>[^/]+)")
    def calendar_feed(self, request, community=None):
        """某社区（含所属街道主办）志愿活动的日历订阅地址（iCalendar，带只读签名令牌）。"""
        node = feeds.community_for(request.user, community)
        if node is None:
            raise ics.not_found()
        path = feeds.community_feed_path(node)
        url = ics.feed_url(request, path, request.user, feeds.COMMUNITY, node.code)
        return Response({"url": url})

    @action(detail=True, methods=["post"])
    def cancel(self, request, code=None):
        payload = s.ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        activity = services.activity_cancel(
            actor=request.user, activity=self.get_object(), reason=payload.validated_data["reason"]
        )
        return Response(s.ActivitySerializer(self.get_queryset().get(pk=activity.pk)).data)

    @extend_schema(
        methods=["post"], request=s.SignUpRequestSerializer, responses={201: s.SignUpSerializer}
    )
    @extend_schema(methods=["get"], responses=s.SignUpSerializer(many=True))
    @action(detail=True, methods=["get", "post"], url_path="sign-ups")
    def sign_ups(self, request, code=None):
        """GET：报名名单（已报名在前，候补按顺序）；POST：为志愿者报名。"""
        activity = self.get_object()
        if request.method == "GET":
            roster = selectors.activity_roster(activity).select_related("activity")
            return Response(s.SignUpSerializer(roster, many=True).data)
        payload = s.SignUpRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        volunteer = _visible_volunteer(request.user, payload.validated_data["volunteer"])
        sign_up = services.sign_up_create(
            actor=request.user, activity=activity, volunteer=volunteer
        )
        return Response(s.SignUpSerializer(sign_up).data, status=status.HTTP_201_CREATED)


class SignUpViewSet(ScopedModelViewSet):
    """活动报名记录：取消、签到、签退（签退自动记入服务时长台账）。"""

    serializer_class = s.SignUpSerializer
    filterset_class = SignUpFilterSet
    importer_class = SignUpExporter
    lookup_field = "pk"
    http_method_names = ["get", "post", "head", "options"]
    ordering = ["activity", "created_at", "id"]

    @staticmethod
    def selector(user):
        return selectors.sign_ups_visible_to(user)

    @extend_schema(exclude=True)  # not an operation: answers 405 with where to go instead
    def create(self, request, *args, **kwargs):
        raise MethodNotAllowed("POST", detail="请通过活动的 sign-ups 接口报名。")

    def _reload(self, sign_up):
        return self.get_queryset().get(pk=sign_up.pk)

    @extend_schema(request=s.ReasonSerializer, responses=s.SignUpSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        payload = s.ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        sign_up = services.sign_up_cancel(
            actor=request.user, sign_up=self.get_object(), reason=payload.validated_data["reason"]
        )
        return Response(s.SignUpSerializer(self._reload(sign_up)).data)

    @extend_schema(request=s.AttendanceSerializer, responses=s.SignUpSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        payload = s.AttendanceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        sign_up = services.sign_up_check_in(
            actor=request.user, sign_up=self.get_object(), at=payload.validated_data.get("at")
        )
        return Response(s.SignUpSerializer(self._reload(sign_up)).data)

    @extend_schema(request=s.AttendanceSerializer, responses=s.HoursEntrySerializer)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        payload = s.AttendanceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = services.sign_up_check_out(
            actor=request.user, sign_up=self.get_object(), at=payload.validated_data.get("at")
        )
        return Response(s.HoursEntrySerializer(entry).data)


class HoursEntryViewSet(ScopedModelViewSet):
    """服务时长台账（只增不改）。POST 为人工认定；`POST …/<id>/correct/` 以新记录更正。"""

    serializer_class = s.HoursEntrySerializer
    filterset_class = HoursEntryFilterSet
    importer_class = HoursEntryExporter
    lookup_field = "pk"
    http_method_names = ["get", "post", "head", "options"]
    ordering = ["volunteer", "served_on", "id"]

    @staticmethod
    def selector(user):
        return selectors.hours_entries_visible_to(user)

    def create_service(self, *, actor, data):
        return services.hours_award(actor=actor, **data)

    @extend_schema(request=s.HoursCorrectionSerializer, responses={201: s.HoursEntrySerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        payload = s.HoursCorrectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        correction = services.hours_correct(
            actor=request.user, entry=self.get_object(), **payload.validated_data
        )
        return Response(s.HoursEntrySerializer(correction).data, status=status.HTTP_201_CREATED)


class WishViewSet(ScopedModelViewSet):
    """微心愿：review → publish → claim → fulfil → confirm，每一步一个接口。"""

    serializer_class = s.WishSerializer
    filterset_class = WishFilterSet
    importer_class = WishExporter
    search_fields = ["code", "title"]
    ordering = ["-created_at", "code"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @staticmethod
    def selector(user):
        return selectors.wishes_visible_to(user)

    def create_service(self, *, actor, data):
        return services.wish_post(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        if instance.status not in ("submitted", "approved"):
            raise ValidationError({"non_field_errors": ["心愿发布后不能修改内容。"]})
        return scoped_update(actor=actor, instance=instance, data=data)

    def _done(self, wish):
        return Response(s.WishSerializer(self.get_queryset().get(pk=wish.pk)).data)

    @extend_schema(request=s.WishReviewSerializer, responses=s.WishSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, code=None):
        payload = s.WishReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._done(
            services.wish_review(
                actor=request.user, wish=self.get_object(), **payload.validated_data
            )
        )

    @extend_schema(request=None, responses=s.WishSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, code=None):
        return self._done(services.wish_publish(actor=request.user, wish=self.get_object()))

    @extend_schema(request=s.WishClaimSerializer, responses=s.WishSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, code=None):
        payload = s.WishClaimSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        claimant = {}
        if data.get("volunteer"):
            claimant["volunteer"] = _visible_volunteer(request.user, data["volunteer"])
        if data.get("team"):
            claimant["team"] = get_object_or_404(
                selectors.teams_visible_to(request.user), code=data["team"]
            )
        if data.get("unit"):
            claimant["unit"] = get_object_or_404(
                PartnerUnit.objects.visible_to(request.user), code=data["unit"]
            )
        return self._done(
            services.wish_claim(actor=request.user, wish=self.get_object(), **claimant)
        )

    @extend_schema(request=s.WishFulfilSerializer, responses=s.WishSerializer)
    @action(detail=True, methods=["post"])
    def fulfil(self, request, code=None):
        payload = s.WishFulfilSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._done(
            services.wish_fulfil(
                actor=request.user, wish=self.get_object(), **payload.validated_data
            )
        )

    @extend_schema(request=None, responses=s.WishSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, code=None):
        return self._done(services.wish_confirm(actor=request.user, wish=self.get_object()))


class VolunteerFiguresView(APIView):
    """志愿服务关键数据：每个社区一行及合计（注册、90 天活跃、年度时长、活动、心愿）。"""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("organization", str, description="街道或社区编码；缺省为全部可见范围"),
            OpenApiParameter("year", int),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        if not request.user.has_perm("volunteers.view_volunteer"):
            raise PermissionDenied()
        year = request.query_params.get("year")
        if year and not year.isdigit():
            raise ValidationError({"year": ["年份应为数字。"]})
        root = None
        code = request.query_params.get("organization")
        if code:
            root = get_object_or_404(Organization.objects.visible_to(request.user), code=code)
            require_in_scope(request.user, root)
        data = selectors.volunteer_figures_by_community(
            request.user, root=root, year=int(year) if year else None
        )
        return Response(_jsonable(data))


def _jsonable(value):
    from decimal import Decimal

    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


@extend_schema(parameters=FEED_PARAMETERS, responses=FEED_RESPONSES)
@api_view(["GET"])
@authentication_classes([ExpiringTokenAuthentication])
@permission_classes([AllowAny])
def community_calendar_ics(request, code):
    """某社区志愿活动日历（iCalendar）：?token=… 或 API 令牌；已取消的活动标为 CANCELLED。"""
    user = ics.feed_user(request, feeds.COMMUNITY, code)
    community = feeds.community_for(user, code)
    if community is None:
        raise ics.not_found()
    activities = selectors.community_activities(community, feeds.since())
    cal = feeds.community_calendar(community, activities, host=request.get_host())
    return ics.ics_response(cal, community.code)


@extend_schema(parameters=FEED_PARAMETERS, responses=FEED_RESPONSES)
@api_view(["GET"])
@authentication_classes([ExpiringTokenAuthentication])
@permission_classes([AllowAny])
def volunteer_calendar_ics(request, number):
    """某志愿者的报名活动日历（iCalendar）：?token=… 或 API 令牌；取消的报名标为 CANCELLED。"""
    user = ics.feed_user(request, feeds.VOLUNTEER, number)
    volunteer = feeds.volunteer_for(user, number)
    if volunteer is None:
        raise ics.not_found()
    sign_ups = selectors.volunteer_calendar_sign_ups(volunteer, feeds.since())
    cal = feeds.volunteer_calendar(volunteer, sign_ups, host=request.get_host())
    return ics.ics_response(cal, volunteer.number)
