"""``GET /api/v1/import-jobs/<id>/``: where a confirmed import stands (its owner, street admins
and superusers); ``POST …/cancel/``: its owner cancels it while no worker has started it."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api.serializers import ScopedModelSerializer
from core.import_jobs import (
    import_job_cancel,
    import_job_give_up_if_stale,
    import_job_waiting,
    import_jobs_visible_to,
)
from core.models import ImportJob


class ImportJobSerializer(ScopedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="import-job-detail")
    waiting_seconds = serializers.SerializerMethodField(
        help_text="排队中的任务已等待的秒数（其他状态为 null）"
    )
    gives_up_at = serializers.SerializerMethodField(
        help_text="排队中的任务到此时仍未开始即放弃（其他状态为 null）"
    )
    message = serializers.SerializerMethodField(help_text="任务现状的一句中文说明")
    cancel_url = serializers.SerializerMethodField(
        help_text="排队中的任务，导入人本人可 POST 此地址取消（否则为 null）"
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "importer",
            "filename",
            "status",
            "rows_done",
            "rows_total",
            "result",
            "error",
            "message",
            "waiting_seconds",
            "gives_up_at",
            "cancel_url",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def _waiting(self, job) -> dict | None:
        cache = self.__dict__.setdefault("_waiting_cache", {})
        if job.pk not in cache:
            cache[job.pk] = import_job_waiting(job)
        return cache[job.pk]

    def get_waiting_seconds(self, job) -> int | None:
        waiting = self._waiting(job)
        return waiting["waiting_seconds"] if waiting else None

    def get_gives_up_at(self, job) -> str | None:
        waiting = self._waiting(job)
        return (
            serializers.DateTimeField().to_representation(waiting["gives_up_at"])
            if waiting
            else None
        )

    def get_message(self, job) -> str:
        waiting = self._waiting(job)
        if waiting:
            return waiting["message"]
        if job.status == ImportJob.Status.RUNNING:
            return f"正在导入：已检查 {job.rows_done} / {job.rows_total} 行。"
        if job.status == ImportJob.Status.DONE:
            result = job.result or {}
            return (
                f"导入完成：新增 {result.get('created', 0)} 条，更新 {result.get('updated', 0)} 条，"
                f"未变 {result.get('unchanged', 0)} 条。"
            )
        return job.error

    def get_cancel_url(self, job) -> str | None:
        request = self.context.get("request")
        if job.status != ImportJob.Status.QUEUED or request is None:
            return None
        if job.user_id != request.user.pk:
            return None
        return request.build_absolute_uri(reverse("import-job-cancel", args=[job.pk]))


class ImportJobDetailView(generics.RetrieveAPIView):
    """一次确认导入的进度与结果（status：queued/running/done/failed/cancelled；result 同导入接口的
    返回；message 用一句话说明现状，排队中时说明已等待多久、为何等待、何时放弃）。只有导入人本人、
    街道管理员和系统管理员能看到，其他人得到 404。"""

    serializer_class = ImportJobSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return import_jobs_visible_to(self.request.user)

    def get_object(self):
        job = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        return import_job_give_up_if_stale(job)


class ImportJobCancelView(generics.GenericAPIView):
    """取消一次还在排队、尚无后台进程开始处理的导入（只有导入人本人可以取消）：成功返回任务
    （status=cancelled，未写入任何数据）；已开始或已结束的任务返回 409。"""

    serializer_class = ImportJobSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return import_jobs_visible_to(self.request.user)

    @extend_schema(
        request=None,
        responses={
            200: ImportJobSerializer,
            409: ImportJobSerializer,
        },
    )
    def post(self, request, pk: int):
        job = import_job_give_up_if_stale(get_object_or_404(self.get_queryset(), pk=pk))
        cancelled = import_job_cancel(actor=request.user, job=job)
        data = self.get_serializer(job).data
        if cancelled:
            return Response(data)
        return Response(
            {**data, "detail": "该导入已开始或已结束，不能取消。"},
            status=status.HTTP_409_CONFLICT,
        )
