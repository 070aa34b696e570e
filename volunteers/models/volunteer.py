from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from mptt.models import TreeForeignKey
from simple_history.models import HistoricalRecords

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code, validate_id_number, validate_phone
from volunteers.choices import Availability, Gender, PersonKind, TeamKind, VolunteerStatus

AVAILABILITY = frozenset(Availability.values)
AVAILABILITY_LABELS = "、".join(str(label) for label in Availability.labels)


def community_error(org) -> str | None:
    from organizations.choices import OrgKind

    if org is not None and org.kind != OrgKind.COMMUNITY_COMMITTEE:
        return f"“{org}”不是社区党组织，请选择服务的社区。"
    return None


class Skill(models.Model):
    """A skill a volunteer offers and an activity may require (医疗护理, 法律咨询 …)."""

    code = models.CharField("技能编码", max_length=32, unique=True, validators=[validate_code])
    name = models.CharField("技能名称", max_length=40, unique=True)

    class Meta:
        verbose_name = "志愿技能"
        verbose_name_plural = "志愿技能"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class VolunteerQuerySet(ScopedQuerySet):
    pass


class Volunteer(TimeStampedModel):
    """志愿者: a resident, party member or unit staff member serving a community."""

    number = models.CharField("志愿者编号", max_length=32, unique=True, validators=[validate_code])
    name = models.CharField("姓名", max_length=40)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices, blank=True)
    id_number = models.CharField(
        "身份证号",
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_id_number],
    )
    phone = models.CharField("联系电话", max_length=32, validators=[validate_phone])
    person_kind = models.CharField(
        "身份类别", max_length=16, choices=PersonKind.choices, default=PersonKind.RESIDENT
    )
    partner_unit = models.ForeignKey(
        "covenants.PartnerUnit",
        verbose_name="所在驻区单位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteers",
    )
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="服务社区",
        on_delete=models.PROTECT,
        related_name="volunteers",
    )
    status = models.CharField(
        "注册状态",
        max_length=16,
        choices=VolunteerStatus.choices,
        default=VolunteerStatus.APPLIED,
        db_index=True,
    )
    skills = models.ManyToManyField(
        Skill, verbose_name="技能", blank=True, related_name="volunteers"
    )
    availability = models.JSONField(
        "可服务时间", default=list, blank=True, help_text="工作日白天、工作日晚间、周末、应急"
    )
    registered_on = models.DateField("注册日期", null=True, blank=True)
    resident = models.OneToOneField(
        "grids.Resident",
        verbose_name="居民档案",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer_profile",
    )
    member = models.OneToOneField(
        "organizations.Member",
        verbose_name="党员档案",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer_profile",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="平台账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer",
    )
    note = models.CharField("备注", max_length=200, blank=True)

    history = HistoricalRecords()
    objects = VolunteerQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "partner_unit": LinkScope.IN_SCOPE_OR_ABOVE,
        "community": LinkScope.IN_SCOPE,
        "resident": LinkScope.IN_SCOPE,
        "member": LinkScope.IN_SCOPE,
        "user": LinkScope.SERVICE,
        "skills": LinkScope.UNSCOPED,
    }
    workflow_fields = ("status", "registered_on")
    sensitive_fields = {"id_number": "id", "phone": "phone"}

    class Meta:
        verbose_name = "志愿者"
        verbose_name_plural = "志愿者"
        ordering = ["number"]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.number}）"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.community_id:
            message = community_error(self.community)
            if message:
                errors["community"] = [message]
        if not isinstance(self.availability, list) or not set(self.availability) <= AVAILABILITY:
            errors["availability"] = [f"可服务时间只能是：{AVAILABILITY_LABELS}。"]
        if self.person_kind == PersonKind.UNIT_STAFF and not self.partner_unit_id:
            errors["partner_unit"] = ["驻区单位职工请填写所在单位。"]
        if errors:
            raise ValidationError(errors)

    def get_availability_display(self) -> str:
        labels = dict(Availability.choices)
        return "、".join(str(labels.get(v, v)) for v in self.availability or [])


class Team(TimeStampedModel):
    """服务队: a community's team of volunteers; an emergency team may be temporary."""

    code = models.CharField("服务队编码", max_length=64, unique=True, validators=[validate_code])
    name = models.CharField("名称", max_length=80)
    kind = models.CharField("类型", max_length=32, choices=TeamKind.choices)
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属社区",
        on_delete=models.PROTECT,
        related_name="volunteer_teams",
    )
    leader = models.ForeignKey(
        Volunteer,
        verbose_name="队长",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    members = models.ManyToManyField(
        Volunteer, verbose_name="队员", blank=True, related_name="teams"
    )
    is_temporary = models.BooleanField("临时队伍", default=False)
    established_on = models.DateField("成立日期", null=True, blank=True)
    ends_on = models.DateField("结束日期", null=True, blank=True)
    description = models.TextField("简介", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "community": LinkScope.IN_SCOPE,
        "leader": LinkScope.IN_SCOPE,
        "members": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "志愿服务队"
        verbose_name_plural = "志愿服务队"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.community_id:
            message = community_error(self.community)
            if message:
                errors["community"] = [message]
        if self.is_temporary and not self.ends_on:
            errors["ends_on"] = ["临时队伍必须填写结束日期。"]
        if self.established_on and self.ends_on and self.ends_on < self.established_on:
            errors["ends_on"] = ["结束日期不能早于成立日期。"]
        if self.leader_id and self.community_id and self.leader.community_id != self.community_id:
            errors["leader"] = ["队长应是本社区的志愿者。"]
        if errors:
            raise ValidationError(errors)
