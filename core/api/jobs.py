"""``GET /api/v1/import-jobs/<id>/``: where a confirmed import stands, for its owner only."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from core.api.serializers import ScopedModelSerializer
from core.import_jobs import import_job_give_up_if_stale, import_jobs_visible_to
from core.models import ImportJob


class ImportJobSerializer(ScopedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="import-job-detail")

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
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportJobDetailView(generics.RetrieveAPIView):
    """一次确认导入的进度与结果（status：queued/running/done/failed；result 同导入接口的返回）。
    只有导入人本人（或系统管理员）能看到，其他人得到 404。"""

    serializer_class = ImportJobSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return import_jobs_visible_to(self.request.user)

    def get_object(self):
        job = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        return import_job_give_up_if_stale(job)
