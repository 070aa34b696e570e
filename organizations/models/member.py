from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from mptt.models import TreeForeignKey
from simple_history.models import HistoricalRecords

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import (
    birth_date_from_id,
    normalize_id_number,
    normalize_phone,
    validate_code,
    validate_id_number,
    validate_phone,
)
from organizations.choices import Gender, MemberCategory, MemberStatus
from organizations.models.codes import CODE_HELP, ReadableCode

MIN_JOIN_AGE = 18


def member_errors(
    *, id_number: str, birth_date: date | None, gender: str, join_date: date | None
) -> dict[str, list[str]]:
    """Row invariants of a member that follow from the ID number (shared with the importer)."""
    errors: dict[str, list[str]] = {}
    id_birth = birth_date_from_id(id_number)
    if id_birth and birth_date and birth_date != id_birth:
        errors["birth_date"] = [
            f"出生日期 {birth_date:%Y-%m-%d} 与身份证号中的出生日期 {id_birth:%Y-%m-%d} 不一致。"
        ]
    if id_birth and gender and len(id_number) == 18 and id_number[16].isdigit():
        id_gender = Gender.MALE if int(id_number[16]) % 2 else Gender.FEMALE
        if gender != id_gender:
            errors["gender"] = [f"性别与身份证号不一致（身份证号显示为{id_gender.label}）。"]
    born = birth_date or id_birth
    if born and join_date:
        try:
            of_age = born.replace(year=born.year + MIN_JOIN_AGE)
        except ValueError:  # 29 February
            of_age = date(born.year + MIN_JOIN_AGE, 3, 1)
        if join_date < of_age:
            errors["join_date"] = ["入党日期应在年满 18 周岁之后。"]
    if join_date and join_date > date.today():
        errors.setdefault("join_date", []).append("入党日期不能晚于今天。")
    return errors


class Member(ReadableCode, TimeStampedModel):
    """A party member (党员), kept by the branch they belong to."""

    code = models.CharField(
        "党员编号",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        validators=[validate_code],
        help_text="系统内唯一；" + CODE_HELP,
    )
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices)
    birth_date = models.DateField("出生日期", blank=True, help_text="留空则按身份证号填写。")
    id_number = models.CharField(
        "身份证号", max_length=18, unique=True, validators=[validate_id_number]
    )
    phone = models.CharField("联系电话", max_length=32, blank=True, validators=[validate_phone])
    category = models.CharField(
        "党员类别", max_length=16, choices=MemberCategory.choices, db_index=True
    )
    status = models.CharField(
        "党员状态", max_length=16, choices=MemberStatus.choices, default=MemberStatus.FULL
    )
    branch = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所在党组织",
        on_delete=models.PROTECT,
        related_name="members",
    )
    join_date = models.DateField("入党日期", null=True, blank=True)
    work_unit = models.ForeignKey(
        "covenants.PartnerUnit",
        verbose_name="工作单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    address = models.CharField("居住地址", max_length=200, blank=True)

    history = HistoricalRecords(verbose_name="党员变更记录")
    objects = ScopedQuerySet.as_manager()

    scope_path = "branch"
    link_scopes = {
        "branch": LinkScope.IN_SCOPE,
        "work_unit": LinkScope.IN_SCOPE_OR_ABOVE,
    }
    workflow_fields = ("status",)
    sensitive_fields = {"id_number": "id", "phone": "phone"}

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["branch", "category"]),
            # The list's default order (name, id): a top-50 from the index, not a full sort.
            models.Index(fields=["name", "id"], name="member_name_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self) -> None:
        self.id_number = normalize_id_number(self.id_number)
        self.phone = normalize_phone(self.phone)
        if not self.birth_date:
            self.birth_date = birth_date_from_id(self.id_number)
        errors = member_errors(
            id_number=self.id_number,
            birth_date=self.birth_date,
            gender=self.gender,
            join_date=self.join_date,
        )
        if errors:
            raise ValidationError(errors)

    @property
    def is_in_service(self) -> bool:
        return self.category == MemberCategory.IN_SERVICE
