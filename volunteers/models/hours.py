from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from core.links import LinkScope
from core.scope import ScopedQuerySet
from volunteers.choices import HoursSource
from volunteers.models.activity import Activity, SignUp
from volunteers.models.volunteer import Volunteer


class HoursEntry(models.Model):
    """One line of a volunteer's service-hours ledger. Append-only: a correction is a new
    entry (``source=correction``) holding the difference and pointing at the corrected entry,
    so the original stays as it was and the total is always the plain sum of entries."""

    volunteer = models.ForeignKey(
        Volunteer, verbose_name="志愿者", on_delete=models.PROTECT, related_name="hours_entries"
    )
    hours = models.DecimalField("时长（小时）", max_digits=8, decimal_places=2)
    source = models.CharField("来源", max_length=16, choices=HoursSource.choices)
    served_on = models.DateField("服务日期", db_index=True)
    activity = models.ForeignKey(
        Activity,
        verbose_name="活动",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hours_entries",
    )
    sign_up = models.OneToOneField(
        SignUp,
        verbose_name="报名记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hours_entry",
    )
    wish = models.OneToOneField(
        "volunteers.Wish",
        verbose_name="微心愿",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hours_entry",
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name="更正的记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    reason = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "volunteer__community"
    link_scopes = {
        "volunteer": LinkScope.IN_SCOPE,
        "activity": LinkScope.IN_SCOPE_OR_ABOVE,
        "sign_up": LinkScope.IN_SCOPE_OR_ABOVE,
        "wish": LinkScope.IN_SCOPE,
        "corrects": LinkScope.IN_SCOPE,
        "created_by": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "服务时长记录"
        verbose_name_plural = "服务时长台账"
        ordering = ["volunteer", "served_on", "id"]
        indexes = [models.Index(fields=["volunteer", "served_on"])]

    def __str__(self) -> str:
        return f"{self.volunteer.name} {self.served_on} {self.hours} 小时（{self.get_source_display()}）"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.source == HoursSource.CORRECTION:
            if not self.corrects_id:
                errors["corrects"] = ["更正记录必须指明被更正的记录。"]
            if not self.reason:
                errors["reason"] = ["更正必须说明原因。"]
        elif self.hours is not None and self.hours <= Decimal(0):
            errors["hours"] = ["时长必须大于 0。"]
        if self.source == HoursSource.ACTIVITY and not self.activity_id:
            errors["activity"] = ["活动时长必须关联活动。"]
        if self.source == HoursSource.WISH and not self.wish_id:
            errors["wish"] = ["微心愿时长必须关联心愿。"]
        if self.source == HoursSource.MANUAL and not self.reason:
            errors["reason"] = ["人工认定必须说明依据。"]
        if errors:
            raise ValidationError(errors)
