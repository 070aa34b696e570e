"""Portal-owned records: the service handbook (民生事务一本通) and each community's
party-mass service centre (党群服务中心) with its residents' committee. Both are kept by
cadres in the admin and scoped by the organisation they hang under."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from mptt.fields import TreeForeignKey, TreeOneToOneField

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_phone
from organizations.choices import OrgKind


class ServiceCentre(TimeStampedModel):
    """The party-mass service centre and residents' committee of one community."""

    community = TreeOneToOneField(
        "organizations.Organization",
        verbose_name="社区",
        on_delete=models.CASCADE,
        related_name="service_centre",
        limit_choices_to={"kind": OrgKind.COMMUNITY_COMMITTEE},
    )
    name = models.CharField("服务中心名称", max_length=120)
    address = models.CharField("地址", max_length=200)
    open_hours = models.CharField("开放时间", max_length=200)
    phone = models.CharField("服务电话", max_length=32, blank=True, validators=[validate_phone])
    services = models.TextField("服务内容", blank=True, help_text="每行一项。")
    committee_name = models.CharField("居委会名称", max_length=120, blank=True)
    committee_address = models.CharField("居委会地址", max_length=200, blank=True)
    committee_phone = models.CharField(
        "居委会电话", max_length=32, blank=True, validators=[validate_phone]
    )
    committee_hours = models.CharField("居委会办公时间", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "community": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "党群服务中心"
        verbose_name_plural = "党群服务中心"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.community_id and self.community.kind != OrgKind.COMMUNITY_COMMITTEE:
            raise ValidationError({"community": "党群服务中心只能设在社区之下。"})

    def service_lines(self) -> list[str]:
        return [line.strip() for line in self.services.splitlines() if line.strip()]


class ServiceItem(TimeStampedModel):
    """One entry of the service handbook: what to bring, where, when, one visit or not."""

    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="办理单位（街道或社区）",
        on_delete=models.CASCADE,
        related_name="service_items",
        limit_choices_to={"kind__in": [OrgKind.STREET_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE]},
    )
    category = models.CharField("类别", max_length=40, help_text="如：社会保障、民政救助、计划生育")
    title = models.CharField("事项名称", max_length=120)
    materials = models.TextField("需带材料", help_text="每行一项。")
    place = models.CharField("办理地点", max_length=200)
    hours = models.CharField("办理时间", max_length=200)
    phone = models.CharField("咨询电话", max_length=32, blank=True, validators=[validate_phone])
    one_visit = models.BooleanField("最多跑一次", default=False)
    notes = models.TextField("办理说明", blank=True)
    is_published = models.BooleanField("在居民端公开", default=True)
    sort_order = models.PositiveIntegerField("排序", default=100)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "organization": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "民生事务"
        verbose_name_plural = "民生事务一本通"
        ordering = ["sort_order", "category", "title"]
        indexes = [models.Index(fields=["organization", "is_published"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.organization_id and self.organization.kind not in (
            OrgKind.STREET_COMMITTEE,
            OrgKind.COMMUNITY_COMMITTEE,
        ):
            raise ValidationError({"organization": "民生事务只能由街道或社区办理。"})

    def material_lines(self) -> list[str]:
        return [line.strip() for line in self.materials.splitlines() if line.strip()]


class ResidentProfile(TimeStampedModel):
    """A resident's portal account: a Django user in the 居民 group, never staff, whose
    username is the mobile number; the profile keeps the phone and home community."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        on_delete=models.CASCADE,
        related_name="resident",
    )
    name = models.CharField("姓名", max_length=40)
    phone = models.CharField("手机号", max_length=20, unique=True)
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所在社区",
        on_delete=models.PROTECT,
        related_name="resident_profiles",
        limit_choices_to={"kind": OrgKind.COMMUNITY_COMMITTEE},
    )
    phone_verified_at = models.DateTimeField(
        "手机号验证时间",
        null=True,
        blank=True,
        editable=False,
        help_text="居民用短信验证码证明手机号是自己的；验证后“我的反映”才列出用这个号码反映的问题。",
    )
    sms_opt_out = models.BooleanField(
        "不接收短信通知",
        default=False,
        help_text="勾选后，反映的问题有进展时只在“我的”里提示，不再发短信。",
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "user": LinkScope.SERVICE,
        "community": LinkScope.IN_SCOPE,
    }
    sensitive_fields = {"phone": "phone"}

    class Meta:
        verbose_name = "居民账号"
        verbose_name_plural = "居民账号"

    def __str__(self) -> str:
        return self.name
