from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action, api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from core import ics
from core.api.pagination import LargeTablePagination
from core.api.permissions import ScopedModelPermissions
from core.api.schema import ErrorResponseSerializer
from core.api.viewsets import ScopedModelViewSet
from core.scope import in_scope
from core.tokens import ExpiringTokenAuthentication
from governance import ics as feeds
from governance import selectors, services
from governance.api import serializers as s
from governance.cadence import shanghai_today
from governance.filtersets import MeetingFilterSet, MeetingSeriesFilterSet, TaskFilterSet
from governance.importers import MeetingImporter, MeetingSeriesImporter
from governance.models import Resolution
from governance.references import ASSIGNEE_MODELS, SOURCE_MODELS, resolve_visible
from organizations.models import Organization


class WorkflowPermission(ScopedModelPermissions):
    """Workflow steps are POSTs that change an existing record: they need change_<model>."""

    perms_map = {
        **ScopedModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }


def _resolve_visible(user, ref: dict, labels):
    return resolve_visible(user, ref["type"], ref["code"], labels)


FEED_URL = inline_serializer("FeedUrl", {"url": serializers.URLField()})


class MeetingSeriesViewSet(ScopedModelViewSet):
    """联席会议制度：召集组织、会议类型、频次（如“每季度第一周”）、常设成员、轮值主席。"""

    serializer_class = s.MeetingSeriesSerializer
    filterset_class = MeetingSeriesFilterSet
    importer_class = MeetingSeriesImporter
    search_fields = ["name", "code"]
    ordering = ["body__tree_id", "body__lft", "code"]

    @staticmethod
    def selector(user):
        return selectors.series_visible_to(user)

    def create_service(self, *, actor, data):
        return services.series_create(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        return services.series_update(actor=actor, series=instance, **data)

    @extend_schema(request=s.SeriesMemberSerializer, responses=s.SeriesMemberSerializer(many=True))
    @action(detail=True, methods=["get", "post"], permission_classes=[WorkflowPermission])
    def members(self, request, code=None):
        """常设成员列表；POST 增加一名成员（参加轮值的单位填 rotation_order）。"""
        series = self.get_object()
        if request.method == "POST":
            data = s.SeriesMemberSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.member_add(actor=request.user, series=series, **data.validated_data)
        members = series.members.select_related("user")
        return Response(s.SeriesMemberSerializer(members, many=True).data)

    @extend_schema(responses=FEED_URL)
    @action(detail=False, methods=["get"], url_path=r"calendar-feed/(?P<body>[^/]+)")
    def calendar_feed(self, request, body=None):
        """某召集组织的会议日历订阅地址（iCalendar，带只读签名令牌，可加入手机/Outlook 日历）。"""
        organization = get_object_or_404(Organization.objects.visible_to(request.user), code=body)
        path = reverse("governance-calendar", kwargs={"body": organization.code})
        url = ics.feed_url(request, path, request.user, feeds.MEETINGS_OF_BODY, organization.code)
        return Response({"url": url})

    @extend_schema(responses=FEED_URL, operation_id="v1_meeting_series_series_calendar_feed")
    @action(detail=True, methods=["get"], url_path="calendar-feed")
    def series_calendar_feed(self, request, code=None):
        """本联席会议制度的会议计划日历订阅地址（iCalendar，带只读签名令牌）。"""
        series = self.get_object()
        path = reverse("governance-series-calendar", kwargs={"code": series.code})
        url = ics.feed_url(request, path, request.user, feeds.MEETINGS_OF_SERIES, series.code)
        return Response({"url": url})


class MeetingViewSet(ScopedModelViewSet):
    """会议：按周期计划、召开、出席登记、纪要、附件、决议。"""

    serializer_class = s.MeetingSerializer
    filterset_class = MeetingFilterSet
    importer_class = MeetingImporter
    search_fields = ["title", "code"]
    ordering = ["-planned_on", "code"]
    ordering_fields = ["planned_on", "held_on", "code"]

    @staticmethod
    def selector(user):
        return selectors.meetings_visible_to(user)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or self.action == "list":
            return super().get_queryset()
        return selectors.meeting_detail(self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.MeetingDetailSerializer
        return s.MeetingSerializer

    def create_service(self, *, actor, data):
        return services.meeting_plan(actor=actor, **data)

    def update_service(self, *, actor, instance, data):
        data.pop("agenda", None)
        return services.meeting_update(actor=actor, meeting=instance, **data)

    def _detail(self, meeting):
        fresh = selectors.meeting_detail(self.request.user).get(pk=meeting.pk)
        return Response(s.MeetingDetailSerializer(fresh, context={"request": self.request}).data)

    @extend_schema(request=s.HoldSerializer, responses=s.MeetingDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def hold(self, request, code=None):
        """登记会议已召开（轮值主席随之交接给下一个单位）。"""
        data = s.HoldSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.meeting_hold(
            actor=request.user, meeting=self.get_object(), **data.validated_data
        )
        return self._detail(meeting)

    @extend_schema(request=s.AttendanceSerializer, responses=s.MeetingDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def attendance(self, request, code=None):
        """登记出席情况 {"attendance": {"姓名": "present|absent|excused"}}，只接受邀请名单中的人。"""
        data = s.AttendanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = self.get_object()
        services.attendance_record(
            actor=request.user, meeting=meeting, entries=data.validated_data["attendance"]
        )
        return self._detail(meeting)

    @extend_schema(request=s.InviteSerializer, responses=s.MeetingDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def invite(self, request, code=None):
        data = s.InviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = self.get_object()
        services.meeting_invite(actor=request.user, meeting=meeting, **data.validated_data)
        return self._detail(meeting)

    @extend_schema(request=s.ResolutionInputSerializer, responses=s.ResolutionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def resolutions(self, request, code=None):
        """通过一项决议（会议召开后）：大事共议 / 要事共决 / 难事共解 / 实事共办。"""
        data = s.ResolutionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        public = values.pop("public", False)
        with transaction.atomic():
            resolution = services.resolution_pass(
                actor=request.user, meeting=self.get_object(), **values
            )
            if public:
                services.resolution_set_public(
                    actor=request.user, resolution=resolution, public=True
                )
        return Response(s.ResolutionSerializer(resolution).data, status=201)

    @extend_schema(request=s.AttachmentInputSerializer, responses=s.AttachmentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def attachments(self, request, code=None):
        data = s.AttachmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.attachment_add(
            actor=request.user, meeting=self.get_object(), **data.validated_data
        )
        return Response(
            s.AttachmentSerializer(attachment, context={"request": request}).data, status=201
        )


class ResolutionViewSet(viewsets.ReadOnlyModelViewSet):
    """决议（只读；通过会议的 resolutions 动作产生），dispatch 动作把决议派成任务。"""

    serializer_class = s.ResolutionSerializer
    lookup_field = "code"
    search_fields = ["title", "code"]
    filterset_fields = ["kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Resolution.objects.none()
        return selectors.resolutions_visible_to(self.request.user)

    @extend_schema(request=s.ResolutionPublicSerializer, responses=s.ResolutionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def publish(self, request, code=None):
        """向居民公开（public=true）或取消公开（public=false）。"""
        data = s.ResolutionPublicSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resolution = self.get_object()
        services.resolution_set_public(
            actor=request.user, resolution=resolution, public=data.validated_data["public"]
        )
        return Response(s.ResolutionSerializer(self.get_object()).data)

    @extend_schema(request=s.DispatchSerializer, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def dispatch_task(self, request, code=None):
        """把决议派单给网格、社区组织、共建单位、志愿服务队或个人。"""
        data = s.DispatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        task = services.task_dispatch(
            actor=request.user,
            source=self.get_object(),
            assignee=_resolve_visible(request.user, values["assignee"], ASSIGNEE_MODELS),
            title=values["title"],
            description=values["description"],
            deadline=values["deadline"],
        )
        return Response(s.TaskSerializer(task).data, status=201)


class TaskViewSet(ScopedModelViewSet):
    """派单：派单方与承办方都能看到；接单 / 退回 / 进展 / 办结 / 双向评价。"""

    serializer_class = s.TaskSerializer
    filterset_class = TaskFilterSet
    search_fields = ["title", "code", "assignee_label"]
    ordering = ["-created_at", "-id"]
    ordering_fields = ["deadline", "created_at"]
    http_method_names = ["get", "post", "head", "options"]

    @staticmethod
    def selector(user):
        return selectors.tasks_visible_to(user)

    def create_service(self, *, actor, data):
        source = data.pop("source_ref", None)
        return services.task_dispatch(
            actor=actor,
            assignee=_resolve_visible(actor, data.pop("assignee_ref"), ASSIGNEE_MODELS),
            source=_resolve_visible(actor, source, SOURCE_MODELS) if source else None,
            **data,
        )

    def _step(self, request, service, serializer_class=None):
        kwargs = {}
        if serializer_class is not None:
            data = serializer_class(data=request.data)
            data.is_valid(raise_exception=True)
            kwargs = data.validated_data
        task = self.get_object()
        service(actor=request.user, task=task, **kwargs)
        return Response(s.TaskSerializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(responses=FEED_URL)
    @action(detail=False, methods=["get"], url_path="calendar-feed")
    def calendar_feed(self, request):
        """我的派单办结期限日历订阅地址（iCalendar，带只读签名令牌）：我能看到的派单，
        办结期限在 90 天前以后的；被退回的派单标为已取消。"""
        path = reverse("governance-task-calendar")
        url = ics.feed_url(request, path, request.user, feeds.TASKS, "")
        return Response({"url": url})

    @extend_schema(request=None, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def accept(self, request, code=None):
        return self._step(request, services.task_accept)

    @extend_schema(request=s.RejectSerializer, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def reject(self, request, code=None):
        return self._step(request, services.task_reject, s.RejectSerializer)

    @extend_schema(request=s.NoteSerializer, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def progress(self, request, code=None):
        return self._step(request, services.task_progress, s.NoteSerializer)

    @extend_schema(request=s.CompleteSerializer, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def complete(self, request, code=None):
        return self._step(request, services.task_complete, s.CompleteSerializer)

    @extend_schema(request=s.EvaluateSerializer, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WorkflowPermission])
    def evaluate(self, request, code=None):
        """双向评价：side=assigner 派单方评价办理质量；side=assignee 承办方评价派单清晰度与支持。"""
        return self._step(request, services.task_evaluate, s.EvaluateSerializer)


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=1000,
        help_text="要标记的通知 id；省略则全部标记已读",
    )


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """我的提醒通知（站内）；?unread=1 只看未读；mark-read 标记已读。"""

    serializer_class = s.NotificationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = LargeTablePagination
    cursor_ordering = ("-created_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.Notification.objects.none()
        queryset = selectors.notifications_for(self.request.user)
        if self.request.query_params.get("unread") in {"1", "true"}:
            queryset = queryset.unread()
        return queryset

    @extend_schema(
        request=MarkReadSerializer,
        responses=inline_serializer("MarkReadResult", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        payload = MarkReadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = payload.validated_data.get("ids")
        marked = services.notification_mark_read(actor=request.user, ids=ids or None)
        return Response({"marked": marked})


def _month_bounds(request) -> tuple[date, date]:
    today = shanghai_today()
    try:
        first = date.fromisoformat(request.query_params.get("start", f"{today.year}-01-01"))
        last = date.fromisoformat(request.query_params.get("end", f"{today.year}-12-31"))
    except ValueError:
        raise serializers.ValidationError({"start": ["日期格式应为 YYYY-MM-DD。"]}) from None
    if last < first:
        raise serializers.ValidationError({"end": ["结束日期不能早于开始日期。"]})
    return first, last


@extend_schema(
    parameters=[OpenApiParameter("start", str), OpenApiParameter("end", str)],
    responses=inline_serializer(
        "GovernanceFigures",
        {
            "meetings": serializers.ListField(child=serializers.DictField()),
            "attendance_by_member": serializers.ListField(child=serializers.DictField()),
            "attendance_by_unit": serializers.ListField(child=serializers.DictField()),
            "resolutions": serializers.ListField(child=serializers.DictField()),
        },
    ),
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def figures(request):
    """按召集组织：应开与按期召开会议数、成员与单位出席率、决议及其派单办结情况。"""
    if not request.user.has_perm("governance.view_meeting"):
        raise PermissionDenied("没有查看会议的权限。")
    first, last = _month_bounds(request)
    compliance = selectors.meeting_compliance(request.user, first, last)
    return Response(
        {
            "start": first,
            "end": last,
            "meetings": selectors.body_compliance(compliance),
            "series": [
                {
                    "series": row.series.code,
                    "body": row.series.body.code,
                    "due": row.due,
                    "held_on_time": row.held_on_time,
                    "held_late": row.held_late,
                    "missed": row.missed,
                    "on_time_rate": row.on_time_rate,
                }
                for row in compliance
            ],
            "attendance_by_member": selectors.attendance_by_member(request.user, first, last),
            "attendance_by_unit": selectors.attendance_by_unit(request.user, first, last),
            "resolutions": selectors.resolution_figures(request.user, first, last),
        }
    )


FEED_PARAMETERS = [OpenApiParameter("token", str, description="订阅令牌（见 calendar-feed）")]
FEED_RESPONSES = {
    (200, "text/calendar"): bytes,
    404: OpenApiResponse(ErrorResponseSerializer, description=ics.INVALID),
    410: OpenApiResponse(ErrorResponseSerializer, description=ics.EXPIRED),
}


@extend_schema(parameters=FEED_PARAMETERS, responses=FEED_RESPONSES)
@api_view(["GET"])
@authentication_classes([ExpiringTokenAuthentication])
@permission_classes([AllowAny])
def calendar_ics(request, body):
    """某召集组织的会议日历（iCalendar）。用订阅地址里的 ?token=…，或 API 令牌（Authorization: Token …）。
    已取消的会议仍在日历中（STATUS:CANCELLED）。"""
    user = ics.feed_user(request, feeds.MEETINGS_OF_BODY, body, legacy=feeds.legacy_body_user(body))
    organization = Organization.objects.filter(code=body).first()
    if organization is None or not in_scope(user, organization):
        raise ics.not_found()
    meetings = (
        selectors.meetings_visible_to(user)
        .filter(series__body=organization)
        .order_by("planned_on", "code")
    )
    cal = feeds.meetings_calendar(f"{organization.name}联席会议", meetings, host=request.get_host())
    return ics.ics_response(cal, organization.code)


@extend_schema(parameters=FEED_PARAMETERS, responses=FEED_RESPONSES)
@api_view(["GET"])
@authentication_classes([ExpiringTokenAuthentication])
@permission_classes([AllowAny])
def series_calendar_ics(request, code):
    """某联席会议制度的会议计划日历（iCalendar）：?token=… 或 API 令牌；已取消的会议标为 CANCELLED。"""
    user = ics.feed_user(request, feeds.MEETINGS_OF_SERIES, code)
    series = selectors.series_visible_to(user).filter(code=code).first()
    if series is None:
        raise ics.not_found()
    meetings = (
        selectors.meetings_visible_to(user).filter(series=series).order_by("planned_on", "code")
    )
    cal = feeds.meetings_calendar(f"{series.name}会议计划", meetings, host=request.get_host())
    return ics.ics_response(cal, series.code)


@extend_schema(parameters=FEED_PARAMETERS, responses=FEED_RESPONSES)
@api_view(["GET"])
@authentication_classes([ExpiringTokenAuthentication])
@permission_classes([AllowAny])
def task_calendar_ics(request):
    """我的派单办结期限日历（iCalendar）：?token=… 或 API 令牌。"""
    user = ics.feed_user(request, feeds.TASKS, "")
    since = shanghai_today() - timedelta(days=feeds.TASK_WINDOW_DAYS)
    tasks = (
        selectors.tasks_visible_to(user)
        .filter(deadline__gte=since)
        .order_by("deadline", "code")[: feeds.TASK_LIMIT]
    )
    cal = feeds.tasks_calendar(
        f"{user.get_full_name() or user.get_username()}的派单期限", tasks, host=request.get_host()
    )
    return ics.ics_response(cal, "tasks")


def _xlsx(content: bytes, name: str) -> HttpResponse:
    from urllib.parse import quote

    from core.importing import CONTENT_TYPES

    response = HttpResponse(content, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}.xlsx"
    return response


@extend_schema(
    parameters=[
        OpenApiParameter("month", str, description="YYYY-MM（默认本月，上海时间）"),
        OpenApiParameter("level", str, enum=["grid", "community", "department", "street"]),
        OpenApiParameter("file_format", str, enum=["xlsx"], description="xlsx：下载表格"),
    ],
    responses=inline_serializer(
        "HotlineFigures",
        {
            "month": serializers.CharField(),
            "level": serializers.CharField(),
            "rows": serializers.ListField(child=serializers.DictField()),
        },
    ),
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def hotline_figures(request):
    """接诉即办：某月的响应率、解决率、满意率、重办率、综合得分与排名（按网格 / 社区 / 部门 / 街道）。"""
    from core.importing import write_table
    from governance import hotline

    if not request.user.has_perm("grids.view_case"):
        raise PermissionDenied("没有查看民情诉求的权限。")
    try:
        month = hotline.parse_month(request.query_params.get("month"), shanghai_today())
    except ValueError as exc:
        raise serializers.ValidationError({"month": [str(exc)]}) from None
    level = request.query_params.get("level", "community")
    if level not in hotline.LEVELS:
        raise serializers.ValidationError(
            {"level": ["应为 grid、community、department 或 street。"]}
        )
    rows = hotline.hotline_figures(request.user, month, level)
    if request.query_params.get("file_format") == "xlsx":
        headers = [h for _, h in hotline.HEADERS]
        content = write_table(headers, hotline.table(rows), "xlsx", "接诉即办")
        return _xlsx(content, f"接诉即办{month:%Y-%m}-{hotline.LEVELS[level]}")
    return Response(
        {"month": f"{month:%Y-%m}", "level": level, "rows": [r.as_dict() for r in rows]}
    )


@extend_schema(
    parameters=[
        OpenApiParameter("start", str, description="YYYY-MM-DD（默认本年 1 月 1 日）"),
        OpenApiParameter("end", str, description="YYYY-MM-DD（默认本年 12 月 31 日）"),
        OpenApiParameter("by", str, enum=["community", "department"]),
        OpenApiParameter("file_format", str, enum=["xlsx"], description="xlsx：下载表格"),
    ],
    responses=inline_serializer(
        "TaskEvaluationReport",
        {
            "start": serializers.DateField(),
            "end": serializers.DateField(),
            "by": serializers.CharField(),
            "rows": serializers.ListField(child=serializers.DictField()),
        },
    ),
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def task_evaluations(request):
    """上考下评：某期间派单双向评价按社区或部门（及其他承办方）汇总。"""
    from core.importing import write_table
    from governance import evaluations

    if not request.user.has_perm("governance.view_task"):
        raise PermissionDenied("没有查看派单的权限。")
    first, last = _month_bounds(request)
    by = request.query_params.get("by", "community")
    if by not in evaluations.GROUPINGS:
        raise serializers.ValidationError({"by": ["应为 community 或 department。"]})
    rows = evaluations.evaluation_report(request.user, first, last, by)
    if request.query_params.get("file_format") == "xlsx":
        headers = [h for _, h in evaluations.HEADERS]
        content = write_table(headers, evaluations.table(rows), "xlsx", "上考下评")
        return _xlsx(content, f"上考下评{first}-{last}")
    return Response({"start": first, "end": last, "by": by, "rows": [r.as_dict() for r in rows]})
