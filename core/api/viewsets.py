"""The base every API viewset uses: scoped querysets, writes through services, files by code."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api.jobs import ImportJobSerializer
from core.api.permissions import ScopedModelPermissions, ViewModelPermission
from core.import_jobs import broker_configured, import_job_confirm
from core.importing import CONTENT_TYPES
from core.sensitive import sensitive_fields, sensitive_reveal
from core.services import scoped_create, scoped_delete, scoped_set_status, scoped_update

ImportResultSerializer = inline_serializer(
    "ImportResult",
    {
        "total": serializers.IntegerField(),
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "error_rows": serializers.IntegerField(),
        "dry_run": serializers.BooleanField(),
        "committed": serializers.BooleanField(),
        "errors": serializers.ListField(child=serializers.DictField()),
        "job": serializers.URLField(required=False, help_text="确认导入时：导入任务的地址"),
        "changes": serializers.ListField(
            child=serializers.DictField(),
            help_text="每一行将修改的记录：row、key、label、fields（column、old、new，遮蔽值保持遮蔽）",
        ),
        "warnings": serializers.ListField(
            child=serializers.DictField(),
            required=False,
            help_text="不影响导入、请核对的提示（row、column、message），如户人数与居民人数不符",
        ),
    },
)
ImportUploadSerializer = inline_serializer(
    "ImportUpload",
    {
        "file": serializers.FileField(),
        "dry_run": serializers.BooleanField(default=True),
    },
)


class RevealRequestSerializer(serializers.Serializer):
    purpose = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="查看用途（至少 4 个字，会被记录）"
    )


class ScopedModelViewSet(viewsets.ModelViewSet):
    """Set ``selector`` (user -> queryset) and, for files, ``importer_class``.

    Create/update/delete go through ``create_service``/``update_service``/``delete_service``
    (keyword-only, with ``actor``); by default the shared scoped services.
    """

    selector = None
    importer_class = None
    lookup_field = "code"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.serializer_class.Meta.model.objects.none()
        # Built once per request: DRF's model permission asks for it (for the model) before
        # the list or detail does, and a selector's queryset is not free to build.
        built = self.__dict__.get("_selector_queryset")
        if built is None or built[0] is not self.request.user:
            built = self._selector_queryset = (
                self.request.user,
                type(self).selector(self.request.user),
            )
        return built[1].all()

    def create_service(self, *, actor, data):
        return scoped_create(actor=actor, model=self.get_serializer_class().Meta.model, data=data)

    def update_service(self, *, actor, instance, data):
        return scoped_update(actor=actor, instance=instance, data=data)

    def delete_service(self, *, actor, instance):
        scoped_delete(actor=actor, instance=instance)

    def perform_create(self, serializer):
        serializer.instance = self.create_service(
            actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = self.update_service(
            actor=self.request.user,
            instance=serializer.instance,
            data=dict(serializer.validated_data),
        )

    def perform_destroy(self, instance):
        self.delete_service(actor=self.request.user, instance=instance)

    @classmethod
    def get_extra_actions(cls):
        """The file and reveal routes exist only where they mean something: reveal on models
        with personal data, import/export where an importer is declared."""
        actions = super().get_extra_actions()
        serializer_class = getattr(cls, "serializer_class", None)
        model = getattr(getattr(serializer_class, "Meta", None), "model", None)
        hidden = set()
        if model is None or not sensitive_fields(model):
            hidden.add("reveal")
        if cls.importer_class is None:
            hidden.update({"export", "import_file"})
        return [a for a in actions if a.__name__ not in hidden]

    @extend_schema(
        request=RevealRequestSerializer,
        responses={200: inline_serializer("RevealResponse", {"values": serializers.DictField()})},
    )
    @action(
        detail=True, methods=["post"], url_path="reveal", permission_classes=[ViewModelPermission]
    )
    def reveal(self, request, *args, **kwargs):
        """查看一条记录的完整身份证号、电话：需“查看敏感信息”权限并说明用途，每次都会记录。"""
        instance = self.get_object()
        payload = RevealRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = sensitive_reveal(
            actor=request.user, instance=instance, purpose=payload.validated_data["purpose"]
        )
        return Response({"values": values})

    def _importer(self):
        if self.importer_class is None:
            raise ValidationError({"non_field_errors": ["该数据不支持文件导入导出。"]})
        return self.importer_class(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("file_format", enum=["csv", "xlsx"], default="xlsx"),
            OpenApiParameter(
                "unmasked", bool, description="导出完整个人信息（需权限，须同时给出 purpose）"
            ),
            OpenApiParameter("purpose", str, description="未脱敏导出的用途"),
        ],
        responses={(200, CONTENT_TYPES["xlsx"]): bytes, (200, "text/csv"): bytes},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request, *args, **kwargs):
        importer = self._importer()
        fmt = request.query_params.get("file_format", "xlsx")
        if fmt not in CONTENT_TYPES:
            raise ValidationError({"file_format": ["只支持 csv 或 xlsx。"]})
        queryset = self.filter_queryset(self.get_queryset())
        unmasked = request.query_params.get("unmasked", "").lower() in {"1", "true", "yes"}
        content = importer.export(
            queryset, fmt, unmasked=unmasked, purpose=request.query_params.get("purpose", "")
        )
        response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
        name = importer.sheet_name
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}.{fmt}"
        return response

    @extend_schema(
        request=ImportUploadSerializer,
        responses={
            200: ImportResultSerializer,
            202: ImportJobSerializer,
            400: ImportResultSerializer,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_file(self, request, *args, **kwargs):
        """上传 CSV/XLSX 导入。`dry_run` 默认 true：只检查、不写入。false：确认导入，全部成功或全部
        不写入；超过 IMPORT_BACKGROUND_ROWS 行（且配置了消息队列）时在后台执行，返回 202 和导入任务
        地址（`GET /api/v1/import-jobs/<id>/` 查询进度与结果），否则直接返回结果。同一文件的导入
        仍在进行时再次确认，返回的是同一个导入任务。"""
        model = self.get_serializer_class().Meta.model
        meta = model._meta
        for perm in ("add", "change"):
            if not request.user.has_perm(f"{meta.app_label}.{perm}_{meta.model_name}"):
                raise PermissionDenied("没有导入该数据的权限。")
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["请上传文件。"]})
        limit = settings.IMPORT_MAX_FILE_SIZE
        if upload.size > limit:
            raise ValidationError({"file": [f"文件超过 {limit // (1024 * 1024)} MB 上限。"]})
        dry_run = str(request.data.get("dry_run", "true")).lower() not in {"false", "0", "no"}
        importer, data = self._importer(), upload.read()
        if dry_run:
            result = importer.run(data, upload.name, dry_run=True)
            return Response(
                result.as_dict(),
                status=status.HTTP_200_OK if result.ok else status.HTTP_400_BAD_REQUEST,
            )
        return self._confirm_import(importer, data, upload.name)

    def _confirm_import(self, importer, data: bytes, filename: str) -> Response:
        """Through an import job: large files (with a broker) answer 202 with the job to poll;
        the rest run here and answer with the result and the job's URL."""
        rows = None
        if broker_configured():
            # The clean dry run first: its row count decides where the import runs.
            check = importer.run(data, filename, dry_run=True)
            if not check.ok:
                check.dry_run = False
                return Response(check.as_dict(), status=status.HTTP_400_BAD_REQUEST)
            rows = check.total
        job, result = import_job_confirm(
            actor=self.request.user,
            importer_class=self.importer_class,
            data=data,
            filename=filename,
            rows=rows,
        )
        job.refresh_from_db()
        job_data = ImportJobSerializer(job, context={"request": self.request}).data
        if result is not None:
            return Response(
                {**result.as_dict(), "job": job_data["url"]},
                status=status.HTTP_200_OK if result.committed else status.HTTP_400_BAD_REQUEST,
            )
        if job.active:
            return Response(
                job_data, status=status.HTTP_202_ACCEPTED, headers={"Location": job_data["url"]}
            )
        ok = job.status == job.Status.DONE
        return Response(job_data, status=status.HTTP_200_OK if ok else status.HTTP_400_BAD_REQUEST)


class ChangeModelPermission(ScopedModelPermissions):
    """For workflow POST actions on an existing record: the model's change permission."""

    perms_map = {
        **ScopedModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }


class StatusActionMixin:
    """``POST …/{code}/set-status/ {"status", "note"}`` for models whose ``status`` is a
    workflow field without a richer workflow: the only way to change it (the serializer keeps
    it read-only), scoped and audited by ``core.services.scoped_set_status``."""

    @extend_schema(
        request=inline_serializer(
            "SetStatusRequest",
            {"status": serializers.CharField(), "note": serializers.CharField(required=False)},
        ),
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="set-status",
        permission_classes=[ChangeModelPermission],
    )
    def set_status(self, request, *args, **kwargs):
        """更改状态（须为该数据的有效状态之一），记录操作日志。"""
        instance = self.get_object()
        model = self.get_serializer_class().Meta.model
        choices = dict(model._meta.get_field("status").choices)
        value = request.data.get("status")
        if not isinstance(value, str) or value not in choices:
            raise ValidationError({"status": [f"可选：{'、'.join(choices)}。"]})
        note = request.data.get("note", "")
        instance = scoped_set_status(
            actor=request.user, instance=instance, status=value, note=str(note)[:200]
        )
        return Response(self.get_serializer(instance).data)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
