from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code, validate_phone
from volunteers.choices import WishSource, WishStatus
from volunteers.models.volunteer import Team, Volunteer


class Wish(TimeStampedModel):
    """微心愿 / 心愿敲门: a resident's small wish, reviewed, published without personal data,
    claimed once (by a volunteer, a team or a partner unit), fulfilled and confirmed."""

    code = models.CharField("心愿编号", max_length=64, unique=True, validators=[validate_code])
    title = models.CharField("心愿", max_length=80, help_text="公开显示，请勿填写姓名、电话、门牌")
    description = models.TextField("说明", blank=True, help_text="公开显示，请勿填写个人信息")
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所在社区",
        on_delete=models.PROTECT,
        related_name="wishes",
    )
    beneficiary_name = models.CharField("心愿人姓名", max_length=40)
    beneficiary_phone = models.CharField(
        "心愿人电话", max_length=32, blank=True, validators=[validate_phone]
    )
    beneficiary_address = models.CharField("心愿人住址", max_length=200, blank=True)
    source = models.CharField("提交方式", max_length=16, choices=WishSource.choices)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        "状态",
        max_length=16,
        choices=WishStatus.choices,
        default=WishStatus.SUBMITTED,
        db_index=True,
    )
    review_note = models.CharField("审核意见", max_length=200, blank=True)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    claimed_by_volunteer = models.ForeignKey(
        Volunteer,
        verbose_name="认领志愿者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_wishes",
    )
    claimed_by_team = models.ForeignKey(
        Team,
        verbose_name="认领服务队",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_wishes",
    )
    claimed_by_unit = models.ForeignKey(
        "covenants.PartnerUnit",
        verbose_name="认领单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_wishes",
    )
    claimed_at = models.DateTimeField("认领时间", null=True, blank=True)
    fulfilled_at = models.DateTimeField("完成时间", null=True, blank=True)
    fulfilment_note = models.TextField("完成情况", blank=True)
    fulfilment_photo = models.FileField(
        "完成照片",
        upload_to="wishes/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp"])],
    )
    service_hours = models.DecimalField(
        "服务时长（小时）", max_digits=6, decimal_places=2, null=True, blank=True
    )
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "community": LinkScope.IN_SCOPE,
        "posted_by": LinkScope.SERVICE,
        "claimed_by_volunteer": LinkScope.SERVICE,
        "claimed_by_team": LinkScope.SERVICE,
        "claimed_by_unit": LinkScope.SERVICE,
    }
    workflow_fields = (
        "status",
        "review_note",
        "reviewed_at",
        "published_at",
        "claimed_at",
        "fulfilled_at",
        "confirmed_at",
    )
    sensitive_fields = {"beneficiary_phone": "phone"}

    class Meta:
        verbose_name = "微心愿"
        verbose_name_plural = "微心愿"
        ordering = ["-created_at", "code"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        claimed_by_volunteer__isnull=True,
                        claimed_by_team__isnull=True,
                        claimed_by_unit__isnull=True,
                    )
                    | Q(
                        claimed_by_volunteer__isnull=False,
                        claimed_by_team__isnull=True,
                        claimed_by_unit__isnull=True,
                    )
                    | Q(
                        claimed_by_volunteer__isnull=True,
                        claimed_by_team__isnull=False,
                        claimed_by_unit__isnull=True,
                    )
                    | Q(
                        claimed_by_volunteer__isnull=True,
                        claimed_by_team__isnull=True,
                        claimed_by_unit__isnull=False,
                    )
                ),
                name="wish_single_claimant",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def claimant(self):
        return self.claimed_by_volunteer or self.claimed_by_team or self.claimed_by_unit

    @property
    def days_to_fulfil(self) -> float | None:
        if self.published_at and self.fulfilled_at:
            return round((self.fulfilled_at - self.published_at).total_seconds() / 86400, 1)
        return None

    def clean(self) -> None:
        from volunteers.models.volunteer import community_error

        if self.community_id:
            message = community_error(self.community)
            if message:
                raise ValidationError({"community": [message]})
