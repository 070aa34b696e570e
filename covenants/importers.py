"""Files of the covenants app: the units roster (import by unit code or credit code), needs,
resources, agreements, projects, activity records and liaison logs (export and import), and
the unit assessment report for the district (export only)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.importing import (
    _KEY_TAKEN,
    BaseImporter,
    Column,
    ImportResult,
    RowError,
    RowInvalid,
    choice_parser,
    parse_bool,
    parse_date,
    parse_int,
)
from core.links import linkable
from core.scope import in_scope
from core.sensitive import mask
from core.services import audit
from core.validators import normalize_phone, validate_credit_code
from covenants.choices import (
    ActivityKind,
    AgreementStatus,
    CoBuildCategory,
    ContactMode,
    Grade,
    MatchStatus,
    NeedSource,
    NeedStatus,
    ResourceKind,
    UnitKind,
)
from covenants.models import (
    ActivityRecord,
    Agreement,
    LiaisonLog,
    Need,
    PartnerUnit,
    Project,
    Resource,
    UnitAssessment,
    UnitPartnership,
)
from covenants.models.agreements import PARTY_A_KINDS
from covenants.selectors import units_visible_to
from covenants.services.activities import activity_record, activity_update
from covenants.services.agreements import agreement_draft, agreement_update
from covenants.services.engagement import project_match, project_match_update
from organizations.models import Organization

_SPLIT = re.compile(r"[、,，;；\s]+")


def _labels(choices) -> str:
    return "、".join(str(label) for _, label in choices.choices)


class _OrgLookup:
    """Organisations referenced by code in the file, loaded in one query."""

    def load_orgs(self, codes: set[str]) -> None:
        """Only what the API may link the row's ``organization`` to (core.links): a code out
        of reach is "not found", like an unknown one, before its kind is looked at."""
        allowed = linkable(self.user, self.model, "organization")
        self.orgs = {o.code: o for o in allowed.filter(code__in=codes)}

    def org(self, code: str, header: str, errors: list[tuple[str, str]], kinds=None):
        organization = self.orgs.get(code)
        if organization is None:
            errors.append((header, f"找不到组织“{code}”。"))
        elif kinds and organization.kind not in kinds:
            errors.append((header, f"“{organization}”应为街道党工委或社区大党委。"))
        else:
            return organization
        return None


class PartnerUnitImporter(_OrgLookup, BaseImporter):
    """The district's units roster. A row finds its unit by 单位编码, or — when that is empty —
    by 统一社会信用代码; a new unit without a code gets ``U`` + its credit code. 共建社区 only
    ever adds partnerships (removing one is a deliberate act in the admin)."""

    model = PartnerUnit
    title = "共驻共建单位"
    sheet_name = "共驻共建单位"
    columns = [
        Column("code", "单位编码", help="留空时按统一社会信用代码匹配已有单位"),
        Column("name", "单位名称", required=True),
        Column("credit_code", "统一社会信用代码", help="18 位，按 GB 32100 校验"),
        Column(
            "kind",
            "单位类型",
            required=True,
            parse=choice_parser(UnitKind),
            help=_labels(UnitKind),
            export=lambda u: u.get_kind_display(),
        ),
        Column(
            "organization_code",
            "登记组织编码",
            required=True,
            help="街道或社区的组织编码",
            export=lambda u: u.organization.code,
        ),
        Column("address", "地址"),
        Column("party_org_name", "单位党组织"),
        Column("party_secretary", "党组织书记"),
        Column("liaison_name", "联络员"),
        Column("liaison_title", "联络员职务"),
        Column("liaison_phone", "联络员电话", parse=normalize_phone),
        Column(
            "partner_codes",
            "共建社区编码",
            help="多个用顿号或逗号分隔",
            export=lambda u: "、".join(p.code for p in u.partners.all()),
        ),
    ]

    def match_keys(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        credits = {v["credit_code"].upper() for _, v in rows if v.get("credit_code")}
        self.by_credit = {
            c: code
            for c, code in PartnerUnit.objects.filter(credit_code__in=credits).values_list(
                "credit_code", "code"
            )
        }
        for row, values in rows:
            credit = (values.get("credit_code") or "").upper()
            values["credit_code"] = credit
            if not values.get("code"):
                values["code"] = self.by_credit.get(credit) or (f"U{credit}" if credit else "")
                if not values["code"]:
                    values["code"] = f"__row{row}"

    def visible_queryset(self):
        return units_visible_to(self.user)

    def may_change(self, stored: PartnerUnit) -> bool:
        return in_scope(self.user, stored.organization)

    def prepare(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        super().prepare(rows)
        codes = {v["organization_code"] for _, v in rows if v.get("organization_code")}
        for _, values in rows:
            codes.update(c for c in _SPLIT.split(values.get("partner_codes") or "") if c)
        self.load_orgs(codes)
        self.partners: dict[str, list[Organization]] = {}

    def build(self, row: int, values: dict[str, Any]) -> PartnerUnit:
        errors: list[tuple[str, str]] = []
        code = values["code"]
        if code.startswith("__row"):
            raise RowInvalid([("单位编码", "单位编码和统一社会信用代码至少填写一项。")])
        unit = self.existing.get(code)
        if unit is None:
            unit = PartnerUnit(code=code)
        elif not in_scope(self.user, unit.organization):
            raise RowInvalid([("单位编码", _KEY_TAKEN.format(code))])
        credit = values.get("credit_code") or ""
        if credit:
            try:
                validate_credit_code(credit)
            except ValidationError as exc:
                errors.append(("统一社会信用代码", " ".join(exc.messages)))
            owner = self.by_credit.get(credit)
            if owner and owner != code:
                errors.append(("统一社会信用代码", f"“{credit}”已登记为单位“{owner}”。"))
        unit.credit_code = credit or None
        organization = self.org(values["organization_code"], "登记组织编码", errors, PARTY_A_KINDS)
        if organization is not None:
            unit.organization = organization
        partners = []
        for partner_code in _SPLIT.split(values.get("partner_codes") or ""):
            if partner_code:
                partner = self.org(partner_code, "共建社区编码", errors, PARTY_A_KINDS)
                if partner is not None:
                    partners.append(partner)
        self.partners[code] = partners
        for name in ("name", "kind", "address", "party_org_name", "party_secretary"):
            if name in values:
                setattr(unit, name, values[name])
        for name in ("liaison_name", "liaison_title"):
            if name in values:
                setattr(unit, name, values[name])
        if "liaison_phone" in values:
            phone = values["liaison_phone"]
            # A masked export re-imported keeps the stored number.
            if not (unit.pk and unit.liaison_phone and phone == mask("phone", unit.liaison_phone)):
                unit.liaison_phone = phone
        if errors:
            raise RowInvalid(errors)
        return unit

    def check_all(self, items: list[tuple[int, PartnerUnit]]) -> list[RowError]:
        errors, seen = [], {}
        for row, unit in items:
            if unit.credit_code:
                if unit.credit_code in seen:
                    errors.append(
                        RowError(
                            row,
                            "统一社会信用代码",
                            f"“{unit.credit_code}”与第 {seen[unit.credit_code]} 行重复。",
                        )
                    )
                seen[unit.credit_code] = row
        return errors

    def column_header(self, field_name: str) -> str:
        if field_name == "organization":
            return "登记组织编码"
        return super().column_header(field_name)

    def update_fields(self) -> list[str]:
        return [
            "name", "credit_code", "kind", "organization", "address", "party_org_name",
            "party_secretary", "liaison_name", "liaison_title", "liaison_phone", "updated_at",
        ]  # fmt: skip

    def save(self, new: list[PartnerUnit], changed: list[PartnerUnit]) -> None:
        super().save(new, changed)
        ids = dict(
            PartnerUnit.objects.filter(code__in=list(self.partners)).values_list("code", "pk")
        )
        UnitPartnership.objects.bulk_create(
            [
                UnitPartnership(unit_id=ids[code], organization=org)
                for code, orgs in self.partners.items()
                for org in orgs
            ],
            ignore_conflicts=True,
        )

    def after_save(self, result: ImportResult) -> None:
        audit(
            actor=self.user,
            action="unit.import",
            target_type="covenants.partnerunit",
            target_repr=f"导入共驻共建单位 {result.created + result.updated} 条",
            detail={"created": result.created, "updated": result.updated},
        )

    def export_queryset(self, queryset):
        # Callers pass ``units_visible_to(user)``: partners already prefetched within scope.
        return queryset


class NeedImporter(_OrgLookup, BaseImporter):
    model = Need
    title = "需求清单"
    sheet_name = "需求清单"
    columns = [
        Column("code", "需求编码", required=True),
        Column(
            "organization_code",
            "所属社区编码",
            required=True,
            export=lambda n: n.organization.code,
        ),
        Column("title", "需求", required=True),
        Column(
            "category",
            "共建类别",
            required=True,
            parse=choice_parser(CoBuildCategory),
            help=_labels(CoBuildCategory),
            export=lambda n: n.get_category_display(),
        ),
        Column(
            "source",
            "来源",
            required=True,
            parse=choice_parser(NeedSource),
            help=_labels(NeedSource),
            export=lambda n: n.get_source_display(),
        ),
        Column("source_ref", "来源编号"),
        Column("description", "说明"),
        Column("beneficiaries", "受益人数", parse=lambda v: parse_int(v) or 0),
        Column("reported_on", "登记日期", required=True, parse=parse_date),
        Column(
            "status",
            "状态",
            parse=choice_parser(NeedStatus),
            help=_labels(NeedStatus),
            export=lambda n: n.get_status_display(),
        ),
    ]

    def prepare(self, rows):
        super().prepare(rows)
        self.load_orgs({v["organization_code"] for _, v in rows if v.get("organization_code")})

    def build(self, row, values):
        errors: list[tuple[str, str]] = []
        need = self.existing.get(values["code"]) or Need(code=values["code"])
        if need.pk and not in_scope(self.user, need.organization):
            raise RowInvalid([("需求编码", _KEY_TAKEN.format(need.code))])
        organization = self.org(values["organization_code"], "所属社区编码", errors)
        if errors:
            raise RowInvalid(errors)
        need.organization = organization
        for name in ("title", "category", "source", "source_ref", "description"):
            if name in values:
                setattr(need, name, values[name])
        need.beneficiaries = values.get("beneficiaries", need.beneficiaries) or 0
        need.reported_on = values["reported_on"]
        need.status = values.get("status") or need.status or NeedStatus.OPEN
        return need

    def update_fields(self):
        return [
            "organization", "title", "category", "source", "source_ref", "description",
            "beneficiaries", "reported_on", "status", "updated_at",
        ]  # fmt: skip

    def export_queryset(self, queryset):
        return queryset.select_related("organization")


class ResourceImporter(_OrgLookup, BaseImporter):
    model = Resource
    title = "资源清单"
    sheet_name = "资源清单"
    columns = [
        Column("code", "资源编码", required=True),
        Column("unit_code", "提供单位编码", required=True, export=lambda r: r.unit.code),
        Column(
            "organization_code",
            "面向社区编码",
            required=True,
            export=lambda r: r.organization.code,
        ),
        Column(
            "kind",
            "资源类型",
            required=True,
            parse=choice_parser(ResourceKind),
            help=_labels(ResourceKind),
            export=lambda r: r.get_kind_display(),
        ),
        Column("title", "资源", required=True),
        Column("description", "说明"),
        Column("capacity", "规模/数量"),
        Column("available", "可用", parse=lambda v: parse_bool(v) if v.strip() else True),
    ]

    def prepare(self, rows):
        super().prepare(rows)
        self.load_orgs({v["organization_code"] for _, v in rows if v.get("organization_code")})
        unit_codes = {v["unit_code"] for _, v in rows if v.get("unit_code")}
        self.units = {
            u.code: u for u in linkable(self.user, self.model, "unit").filter(code__in=unit_codes)
        }

    def build(self, row, values):
        errors: list[tuple[str, str]] = []
        resource = self.existing.get(values["code"]) or Resource(code=values["code"])
        if resource.pk and not in_scope(self.user, resource.organization):
            raise RowInvalid([("资源编码", _KEY_TAKEN.format(resource.code))])
        unit = self.units.get(values["unit_code"])
        if unit is None:
            errors.append(("提供单位编码", f"找不到单位“{values['unit_code']}”。"))
        organization = self.org(values["organization_code"], "面向社区编码", errors, PARTY_A_KINDS)
        if errors:
            raise RowInvalid(errors)
        resource.unit, resource.organization = unit, organization
        for name in ("kind", "title", "description", "capacity", "available"):
            if name in values:
                setattr(resource, name, values[name])
        return resource

    def update_fields(self):
        return [
            "unit", "organization", "kind", "title", "description", "capacity", "available",
            "updated_at",
        ]  # fmt: skip

    def export_queryset(self, queryset):
        return queryset.select_related("unit", "organization")


class ExportOnly(BaseImporter):
    """Reports and workflow records: exported, never imported (they are made by the services)."""

    def run(self, data: bytes, filename: str = "", *, dry_run: bool = True) -> ImportResult:
        result = ImportResult(dry_run=dry_run)
        result.errors.append(
            RowError(0, "文件", f"{self.title}由系统按业务流程生成，只支持导出，不能导入。")
        )
        return result

    def build(self, row, values):  # pragma: no cover - never reached, run() refuses
        raise RowInvalid([("", "只支持导出。")])


class _CheckColumns:
    """Columns written for the reader to check (a name beside its code): ignored on import,
    so editing one changes nothing and is not counted as a change."""

    check_only: tuple[str, ...] = ()

    def cell_changes(self, row, values, stored):
        changes, errors = super().cell_changes(row, values, stored)
        headers = {self.column_header(name) for name in self.check_only}
        return [c for c in changes if c["column"] not in headers], errors


_CHECK = "仅供核对，导入时忽略"


def _refused_columns(importer, changes, fields) -> list[str]:
    headers = {importer.column_header(name) for name in fields}
    return [c["column"] for c in changes if c["column"] in headers]


def _as_validation_error(call):
    """A service's refusal during the write, as a row-less import error (never a 500)."""
    try:
        return call()
    except PermissionDenied as exc:
        raise ValidationError(str(exc) or "不在您的管辖范围内。") from exc


class AgreementImporter(_CheckColumns, _OrgLookup, BaseImporter):
    """共建协议 by 协议编号. A new row drafts an agreement (clauses, preamble and seal labels from
    the street's template, as ``agreement_draft``); a row for a draft edits its title, 甲方,
    乙方 and term (``agreement_update``). Signing and terminating are workflow steps
    (``Agreement.workflow_fields``): a file never changes 状态, 签订日期, 终止日期 or 终止原因,
    and a signed, expired or terminated agreement is not changed by a file at all."""

    model = Agreement
    title = "共建协议"
    sheet_name = "共建协议"
    check_only = ("party_a_name", "unit_name")
    columns = [
        Column("code", "协议编号", required=True, example="XY-001-YL"),
        Column("title", "协议标题", help="留空为街道协议条款模板的标题"),
        Column(
            "party_a_code",
            "甲方编码",
            required=True,
            help="街道党工委或社区大党委的组织编码",
            export=lambda a: a.party_a.code,
        ),
        Column("party_a_name", "甲方", help=_CHECK, export=lambda a: a.party_a.name),
        Column("unit_code", "乙方单位编码", required=True, export=lambda a: a.unit.code),
        Column("unit_name", "乙方", help=_CHECK, export=lambda a: a.unit.name),
        Column("starts_on", "期限起", required=True, parse=parse_date),
        Column("ends_on", "期限止", required=True, parse=parse_date, help="不能早于期限起"),
        Column(
            "status",
            "状态",
            parse=choice_parser(AgreementStatus),
            export=lambda a: a.get_status_display(),
            help="留空为草稿；签订、终止在系统中办理，导入不能修改",
        ),
        Column("signed_on", "签订日期", parse=parse_date, help="由签订流程填写，导入不能修改"),
        Column("terminated_on", "终止日期", parse=parse_date, help="由终止流程填写，导入不能修改"),
        Column("termination_reason", "终止原因", help="由终止流程填写，导入不能修改"),
    ]
    plain_fields = ("title", "starts_on", "ends_on")

    def edit_refusal(self, stored: Agreement, changes) -> str | None:
        workflow = _refused_columns(self, changes, Agreement.workflow_fields)
        if workflow:
            return (
                f"{'、'.join(workflow)}由协议的签订、终止流程维护，不能通过导入修改；"
                "请在系统中办理，并恢复原值或删除该行。"
            )
        if stored.status != AgreementStatus.DRAFT:
            return (
                f"协议“{stored.code}”已{stored.get_status_display()}，不能修改；"
                "如需变更请终止后重新签订。请恢复原值或删除该行。"
            )
        return None

    def prepare(self, rows):
        super().prepare(rows)
        self.load_orgs({v["party_a_code"] for _, v in rows if v.get("party_a_code")})
        codes = {v["unit_code"] for _, v in rows if v.get("unit_code")}
        visible = PartnerUnit.objects.visible_to(self.user).values("pk")
        self.units = {
            u.code: u
            for u in linkable(self.user, Agreement, "unit").filter(code__in=codes, pk__in=visible)
        }
        self.updates: dict[int, dict[str, Any]] = {}
        self.given_title: dict[str, bool] = {}  # a blank 协议标题 takes the template's

    def load_orgs(self, codes: set[str]) -> None:
        allowed = linkable(self.user, Agreement, "party_a")
        self.orgs = {o.code: o for o in allowed.filter(code__in=codes)}

    def build(self, row, values):
        errors: list[tuple[str, str]] = []
        agreement = self.existing.get(values["code"])
        adding = agreement is None
        if adding:
            agreement = Agreement(code=values["code"])
            filled = [
                self.column_header(name)
                for name in ("signed_on", "terminated_on", "termination_reason")
                if values.get(name)
            ]
            if values.get("status") not in (None, "", AgreementStatus.DRAFT) or filled:
                errors.append(
                    (
                        "状态",
                        "新增的协议为草稿：状态留空或填“草稿”，签订、终止日期和终止原因留空，"
                        "签订请在系统中办理。",
                    )
                )
        before = {
            name: getattr(agreement, name) for name in (*self.plain_fields, "party_a_id", "unit_id")
        }
        party_a = self.org(values["party_a_code"], "甲方编码", errors, PARTY_A_KINDS)
        unit = self.units.get(values["unit_code"])
        if unit is None:
            errors.append(("乙方单位编码", f"找不到单位“{values['unit_code']}”。"))
        if errors:
            raise RowInvalid(errors)
        agreement.party_a, agreement.unit = party_a, unit
        for name in self.plain_fields:
            if name in values and (values[name] or name != "title"):
                setattr(agreement, name, values[name])
        self.given_title[agreement.code] = bool(values.get("title"))
        if not adding:
            self.updates[agreement.pk] = {
                name.removesuffix("_id"): getattr(agreement, name.removesuffix("_id"))
                for name, old in before.items()
                if getattr(agreement, name) != old
            }
        return agreement

    def save(self, new, changed):
        # Through the services, one agreement at a time (they are few): the template's
        # clauses for a draft, the draft-only rule and the row lock for an edit, audit rows.
        for agreement in new:
            data = {"title": agreement.title} if self.given_title.get(agreement.code) else {}
            _as_validation_error(
                lambda a=agreement, d=data: agreement_draft(
                    actor=self.user,
                    code=a.code,
                    party_a=a.party_a,
                    unit=a.unit,
                    starts_on=a.starts_on,
                    ends_on=a.ends_on,
                    **d,
                )
            )
        for agreement in changed:
            _as_validation_error(
                lambda a=agreement: agreement_update(
                    actor=self.user, agreement=a, **self.updates.get(a.pk, {})
                )
            )

    def column_header(self, field_name: str) -> str:
        if field_name == "party_a":
            return "甲方编码"
        if field_name == "unit":
            return "乙方单位编码"
        return super().column_header(field_name)

    def update_fields(self):
        return ["title", "party_a", "unit", "starts_on", "ends_on", "updated_at"]

    def export_queryset(self, queryset):
        return queryset.select_related("party_a", "unit")


class ActivityRecordImporter(_CheckColumns, BaseImporter):
    """共建活动记录 (活动记录) by 活动编号: the activities a unit carried out under its claimed
    projects, so a community can export them, correct them in Excel and import them back, or
    register a batch. A new row records an activity as ``activity_record`` does (the project
    in reach, the agreement signed, the date within its term); a row for a stored activity
    edits its plain columns through ``activity_update``. The community's confirmation is the
    workflow's (``ActivityRecord.workflow_fields``): 社区已确认 is written for the reader and
    ignored on import, and a confirmed activity is not changed by a file at all. 单位, 甲方,
    认领项目 and 共建类别 are written beside the project's code for checking only."""

    model = ActivityRecord
    title = "活动记录"
    sheet_name = "活动记录"
    check_only = ("unit_name", "party_a_name", "project_title", "category", "confirmed")
    columns = [
        Column("code", "活动编号", required=True, example="XM-YL-001-A0001"),
        Column("date", "活动日期", required=True, parse=parse_date, help="须在协议期限内"),
        Column(
            "project_code",
            "认领项目编码",
            required=True,
            export=lambda a: a.project.code,
            help="本社区（街道）已签订协议下的认领项目",
        ),
        Column("unit_name", "单位", help=_CHECK, export=lambda a: a.project.agreement.unit.name),
        Column(
            "party_a_name",
            "甲方",
            help=_CHECK,
            export=lambda a: a.project.agreement.party_a.name,
        ),
        Column("project_title", "认领项目", help=_CHECK, export=lambda a: a.project.title),
        Column(
            "category",
            "共建类别",
            help=_CHECK,
            export=lambda a: a.project.get_category_display(),
        ),
        Column(
            "kind",
            "活动方式",
            required=True,
            parse=choice_parser(ActivityKind),
            export=lambda a: a.get_kind_display(),
            help=_labels(ActivityKind),
        ),
        Column("title", "活动主题", required=True),
        Column("place", "活动地点"),
        Column("staff_count", "单位参与人数", parse=parse_int, help="留空为 0"),
        Column("member_count", "在职党员人数", parse=parse_int, help="留空为 0"),
        Column("residents_served", "服务居民人次", parse=parse_int, help="留空为 0"),
        Column("participants_note", "参与人员"),
        Column("description", "活动内容"),
        Column(
            "confirmed",
            "社区已确认",
            parse=parse_bool,
            help="由社区在系统中确认（移交资料后），" + _CHECK,
            export=lambda a: a.confirmed_at is not None,
        ),
    ]
    plain_fields = (
        "date",
        "kind",
        "title",
        "place",
        "staff_count",
        "member_count",
        "residents_served",
        "participants_note",
        "description",
    )
    counts = ("staff_count", "member_count", "residents_served")

    def edit_refusal(self, stored: ActivityRecord, changes) -> str | None:
        if stored.confirmed_at is not None:
            return f"活动“{stored.code}”已由社区确认，不能再修改。请恢复原值或删除该行。"
        return None

    def prepare(self, rows):
        super().prepare(rows)
        codes = {v["project_code"] for _, v in rows if v.get("project_code")}
        # Only what the API may link (core.links): a project out of reach is "not found".
        self.projects = {
            p.code: p
            for p in linkable(self.user, ActivityRecord, "project")
            .filter(code__in=codes)
            .select_related("agreement__party_a", "agreement__unit")
        }
        self.updates: dict[int, dict[str, Any]] = {}

    def build(self, row, values):
        activity = self.existing.get(values["code"])
        adding = activity is None
        project = self.projects.get(values["project_code"])
        if project is None:
            raise RowInvalid([("认领项目编码", f"找不到认领项目“{values['project_code']}”。")])
        if adding:
            activity = ActivityRecord(code=values["code"])
        before = {name: getattr(activity, name) for name in (*self.plain_fields, "project_id")}
        activity.project = project
        for name in self.plain_fields:
            if name not in values:
                continue
            value = values[name]
            if name in self.counts:
                value = value or 0
            elif value is None:
                value = ""
            setattr(activity, name, value)
        if not adding:
            self.updates[activity.pk] = {
                name.removesuffix("_id"): getattr(activity, name.removesuffix("_id"))
                for name, old in before.items()
                if getattr(activity, name) != old
            }
        return activity

    def clean_instance(self, obj):
        obj.full_clean(
            exclude=["code", "confirmed_at", "confirmed_by"],
            validate_unique=False,
            validate_constraints=False,
        )

    def save(self, new, changed):
        # Through the services (activities are registered a few at a time): links checked,
        # the agreement's term, the confirmed-is-final rule and the audit rows.
        for activity in new:
            data = {name: getattr(activity, name) for name in self.plain_fields}
            _as_validation_error(
                lambda a=activity, d=data: activity_record(
                    actor=self.user, project=a.project, code=a.code, **d
                )
            )
        for activity in changed:
            _as_validation_error(
                lambda a=activity: activity_update(
                    actor=self.user, activity=a, **self.updates.get(a.pk, {})
                )
            )

    def column_header(self, field_name: str) -> str:
        if field_name == "project":
            return "认领项目编码"
        return super().column_header(field_name)

    def update_fields(self):
        return [*self.plain_fields, "project", "updated_at"]

    def export_queryset(self, queryset):
        return queryset.select_related(
            "project", "project__agreement__unit", "project__agreement__party_a"
        ).prefetch_related(None)


class LiaisonLogImporter(_OrgLookup, BaseImporter):
    """工作手册 rows from a spreadsheet. A row is the same entry as a stored one when unit,
    community, date and mode match (then it is updated), otherwise it is added."""

    model = LiaisonLog
    title = "联络工作手册"
    sheet_name = "联络工作手册"
    key_field = "entry_key"
    columns = [
        Column("unit_code", "单位编码", required=True, export=lambda log: log.unit.code),
        Column(
            "organization_code",
            "社区/街道编码",
            required=True,
            export=lambda log: log.organization.code,
        ),
        Column("date", "联系日期", required=True, parse=parse_date),
        Column(
            "mode",
            "联系方式",
            required=True,
            parse=choice_parser(ContactMode),
            help=_labels(ContactMode),
            export=lambda log: ContactMode(log.mode).label,
        ),
        Column("liaison_name", "联络员"),
        Column("content", "会商内容", required=True),
        Column("follow_ups", "后续事项"),
    ]

    @staticmethod
    def entry_key(unit_code, org_code, day, mode) -> str:
        return f"{unit_code}|{org_code}|{day}|{mode}"

    def match_keys(self, rows):
        for _, values in rows:
            values["entry_key"] = self.entry_key(
                values.get("unit_code"),
                values.get("organization_code"),
                values.get("date"),
                values.get("mode"),
            )

    def stored_key(self, log):
        return self.entry_key(log.unit.code, log.organization.code, log.date, log.mode)

    def prepare(self, rows):
        unit_codes = {v["unit_code"] for _, v in rows if v.get("unit_code")}
        self.units = {
            u.code: u for u in linkable(self.user, self.model, "unit").filter(code__in=unit_codes)
        }
        self.partnered = set(
            UnitPartnership.objects.filter(unit__code__in=unit_codes).values_list(
                "unit_id", "organization_id"
            )
        )
        self.load_orgs({v["organization_code"] for _, v in rows if v.get("organization_code")})
        dates = {v["date"] for _, v in rows if v.get("date")}
        self.existing = {
            self.entry_key(log.unit.code, log.organization.code, log.date, log.mode): log
            for log in LiaisonLog.objects.filter(
                unit__code__in=unit_codes, date__in=dates
            ).select_related("unit", "organization")
        }

    def build(self, row, values):
        errors: list[tuple[str, str]] = []
        unit = self.units.get(values["unit_code"])
        if unit is None:
            errors.append(("单位编码", f"找不到单位“{values['unit_code']}”。"))
        organization = self.org(values["organization_code"], "社区/街道编码", errors, PARTY_A_KINDS)
        if unit is not None and organization is not None:
            if unit.organization_id != organization.pk and (
                (unit.pk, organization.pk) not in self.partnered
            ):
                errors.append(("社区/街道编码", f"单位“{unit}”与{organization}没有共建关系。"))
        if values["date"] > timezone.localdate():
            errors.append(("联系日期", "联系日期不能晚于今天。"))
        if errors:
            raise RowInvalid(errors)
        log = self.existing.get(values["entry_key"]) or LiaisonLog(
            unit=unit, organization=organization, date=values["date"], mode=values["mode"]
        )
        log.liaison_name = values.get("liaison_name") or unit.liaison_name
        log.content = values["content"]
        log.follow_ups = values.get("follow_ups", log.follow_ups)
        return log

    def column_header(self, field_name: str) -> str:
        if field_name == "entry_key":
            return "单位编码+社区/街道编码+联系日期+联系方式"
        return super().column_header(field_name)

    def update_fields(self):
        return ["liaison_name", "content", "follow_ups", "updated_at"]

    def after_save(self, result: ImportResult) -> None:
        audit(
            actor=self.user,
            action="liaison_log.import",
            target_type="covenants.liaisonlog",
            target_repr=f"导入联络工作手册 {result.created + result.updated} 条",
            detail={"created": result.created, "updated": result.updated},
        )

    def export_queryset(self, queryset):
        return queryset.select_related("unit", "organization")


class ProjectImporter(_CheckColumns, _OrgLookup, BaseImporter):
    """项目清单 by 项目编码: a need met with a resource. A new row matches them as
    ``project_match`` does (the resource must be available, the need not closed; an open need
    becomes 已对接); a row for an existing project edits its name, community, need, resource
    and dates. 状态 is moved by its workflow (``…/set-status/``): a file never changes it."""

    model = Project
    title = "项目清单"
    sheet_name = "项目清单"
    check_only = ("need_title", "resource_title", "unit_name")
    columns = [
        Column("code", "项目编码", required=True, example="XM-YL-001"),
        Column("title", "项目名称", required=True),
        Column(
            "organization_code",
            "所属社区编码",
            required=True,
            export=lambda p: p.organization.code,
        ),
        Column("need_code", "需求编码", required=True, export=lambda p: p.need.code),
        Column("need_title", "需求", help=_CHECK, export=lambda p: p.need.title),
        Column("resource_code", "资源编码", required=True, export=lambda p: p.resource.code),
        Column("resource_title", "资源", help=_CHECK, export=lambda p: p.resource.title),
        Column("unit_name", "提供单位", help=_CHECK, export=lambda p: p.resource.unit.name),
        Column(
            "status",
            "状态",
            parse=choice_parser(MatchStatus),
            export=lambda p: MatchStatus(p.status).label,
            help="留空为拟实施；由项目流程维护，导入不能修改",
        ),
        Column("started_on", "开始日期", parse=parse_date),
        Column("finished_on", "完成日期", parse=parse_date, help="不能早于开始日期"),
    ]
    plain_fields = ("title", "started_on", "finished_on")
    link_fields = ("organization", "need", "resource")

    def edit_refusal(self, stored: Project, changes) -> str | None:
        if _refused_columns(self, changes, Project.workflow_fields):
            return "项目状态由项目流程维护（在系统中更改状态），不能通过导入修改。请恢复原值或删除该行。"
        return None

    def prepare(self, rows):
        super().prepare(rows)
        self.load_orgs({v["organization_code"] for _, v in rows if v.get("organization_code")})
        self.needs = {
            n.code: n
            for n in linkable(self.user, Project, "need")
            .filter(code__in={v["need_code"] for _, v in rows if v.get("need_code")})
            .select_related("organization")
        }
        self.resources = {
            r.code: r
            for r in linkable(self.user, Project, "resource")
            .filter(code__in={v["resource_code"] for _, v in rows if v.get("resource_code")})
            .select_related("organization", "unit")
        }

    def load_orgs(self, codes: set[str]) -> None:
        allowed = linkable(self.user, Project, "organization")
        self.orgs = {o.code: o for o in allowed.filter(code__in=codes)}

    def build(self, row, values):
        errors: list[tuple[str, str]] = []
        project = self.existing.get(values["code"])
        adding = project is None
        if adding:
            project = Project(code=values["code"])
            if values.get("status") not in (None, "", MatchStatus.PLANNED):
                errors.append(("状态", "新增的项目为拟实施（留空即可），状态在系统中更改。"))
        organization = self.org(values["organization_code"], "所属社区编码", errors)
        need = self.needs.get(values["need_code"])
        if need is None:
            errors.append(("需求编码", f"找不到需求“{values['need_code']}”。"))
        resource = self.resources.get(values["resource_code"])
        if resource is None:
            errors.append(("资源编码", f"找不到资源“{values['resource_code']}”。"))
        if adding or (need is not None and need.pk != project.need_id):
            if need is not None and need.status == NeedStatus.CLOSED:
                errors.append(("需求编码", f"需求“{need}”已关闭。"))
        if adding or (resource is not None and resource.pk != project.resource_id):
            if resource is not None and not resource.available:
                errors.append(("资源编码", f"资源“{resource.title}”已标记为不可用。"))
        if errors:
            raise RowInvalid(errors)
        project.organization, project.need, project.resource = organization, need, resource
        for name in self.plain_fields:
            if name in values:
                setattr(project, name, values[name])
        return project

    def save(self, new, changed):
        # Through the services (projects are few): a new match marks its open need 已对接
        # and is audited; an edit is checked like any other (scoped_save).
        for project in new:
            _as_validation_error(
                lambda p=project: project_match(
                    actor=self.user,
                    need=p.need,
                    resource=p.resource,
                    code=p.code,
                    title=p.title,
                    organization=p.organization,
                    started_on=p.started_on,
                    finished_on=p.finished_on,
                )
            )
        for project in changed:
            data = {
                name: getattr(project, name) for name in (*self.link_fields, *self.plain_fields)
            }
            stored = Project.objects.get(pk=project.pk)
            _as_validation_error(
                lambda p=stored, d=data: project_match_update(actor=self.user, project=p, **d)
            )

    def column_header(self, field_name: str) -> str:
        if field_name == "organization":
            return "所属社区编码"
        return super().column_header(field_name)

    def update_fields(self):
        return [
            "title",
            "organization",
            "need",
            "resource",
            "started_on",
            "finished_on",
            "updated_at",
        ]

    def export_queryset(self, queryset):
        return queryset.select_related("organization", "need", "resource", "resource__unit")


class UnitAssessmentExporter(ExportOnly):
    """The report a community hands to the district's target assessment (目标考核办备案)."""

    model = UnitAssessment
    title = "单位考核"
    sheet_name = "共驻共建单位考核"
    columns = [
        Column("year", "年度"),
        Column("unit", "单位编码", export=lambda a: a.unit.code),
        Column("unit_name", "单位名称", export=lambda a: a.unit.name),
        Column("credit_code", "统一社会信用代码", export=lambda a: a.unit.credit_code or ""),
        Column("organization", "评定社区/街道", export=lambda a: a.organization.name),
        Column("activity_count", "活动次数"),
        Column("handout_count", "其中走访慰问"),
        Column("contact_months", "有联系的月数"),
        Column("meetings_held", "联席会召开次数"),
        Column("meetings_attended", "出席次数"),
        Column("score", "得分"),
        Column("grade", "等次", export=lambda a: Grade(a.grade).label),
        Column("comment", "评语"),
    ]

    def export_queryset(self, queryset):
        return queryset.select_related("unit", "organization")


__all__ = [
    "ActivityRecordImporter",
    "AgreementImporter",
    "LiaisonLogImporter",
    "NeedImporter",
    "PartnerUnitImporter",
    "ProjectImporter",
    "ResourceImporter",
    "UnitAssessmentExporter",
]
