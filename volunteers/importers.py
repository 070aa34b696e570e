"""Files of the volunteers app, by code: the skill dictionary, the volunteer roster (fast bulk
import, with history rows), teams and activities; sign-ups, the hours ledger and wishes are
export-only (they change only through their workflow services)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.importing import (
    _KEY_TAKEN,
    BaseImporter,
    Column,
    FileRejected,
    ImportResult,
    RowError,
    RowInvalid,
    choice_parser,
    parse_date,
    parse_int,
)
from core.links import linkable
from core.scope import in_scope
from core.services import audit
from core.validators import normalize_id_number, normalize_phone
from covenants.models import PartnerUnit
from organizations.models import Organization
from volunteers.bulk import copy_history, copy_instances, copy_rows, is_postgresql
from volunteers.choices import (
    ActivityStatus,
    Availability,
    Gender,
    PersonKind,
    SignUpStatus,
    TeamKind,
    VolunteerStatus,
)
from volunteers.models import Activity, HoursEntry, SignUp, Skill, Team, Volunteer, Wish
from volunteers.selectors.records import HOURS_FIELD
from volunteers.services.activities import activity_update

_SPLIT = re.compile(r"[、,，;；/\s]+")


def split_list(value: str) -> list[str]:
    return [part for part in _SPLIT.split(value.strip()) if part]


_parse_availability_item = choice_parser(Availability)


def parse_availability(value: str) -> list[str]:
    return [_parse_availability_item(part) for part in split_list(value)]


def parse_iso_date(value: str):
    """ISO dates (the usual case) without strptime; anything else as core.parse_date does."""
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return parse_date(value)


def parse_optional_choice(choices):
    parse = choice_parser(choices)
    return lambda value: parse(value) if value.strip() else ""


class CodeLookup:
    """Loads ``model`` rows by code once per import; scope-checked on request."""

    def __init__(self, model, field: str = "code", *, queryset=None, **filters):
        """``queryset``: where to look (e.g. ``core.links.linkable`` for a link column, so a
        record out of reach is "not found" like an unknown code)."""
        self.model, self.field, self.filters = model, field, filters
        self.queryset = queryset
        self.rows: dict[str, Any] | None = None

    def get(self, code: str):
        if self.rows is None:
            self.rows = {
                getattr(obj, self.field): obj
                for obj in (
                    self.queryset if self.queryset is not None else self.model._default_manager
                ).filter(**self.filters)
            }
        return self.rows.get(code)


class ScopedOrgMixin:
    def org(self, code: str, header: str, *, community_only: bool = False) -> Organization:
        lookup = self.__dict__.setdefault("_orgs", CodeLookup(Organization))
        org = lookup.get(code)
        # Out of scope (every organisation link here is IN_SCOPE in core.links) answers like
        # an unknown code, before its kind is looked at.
        if org is None or not in_scope(self.user, org):
            raise RowInvalid([(header, f"找不到组织编码“{code}”。")])
        if community_only and org.kind != "community_committee":
            raise RowInvalid([(header, f"“{code}”不是社区党组织。")])
        return org


class SkillImporter(BaseImporter):
    """The skill dictionary (志愿技能), shared by every community. Key: 技能编码; an existing code
    is renamed. Only users who may add and change skills import them (as in the admin)."""

    model = Skill
    title = "志愿技能"
    sheet_name = "志愿技能"
    columns = [
        Column("code", "技能编码", required=True, help="字母、数字、连字符，如 medical"),
        Column("name", "技能名称", required=True, help="全系统唯一，如 医疗护理"),
    ]

    def may_import(self) -> bool:
        return all(self.user.has_perm(f"volunteers.{p}_skill") for p in ("add", "change"))

    def run(self, data: bytes, filename: str = "", *, dry_run: bool = True) -> ImportResult:
        if not self.may_import():
            result = ImportResult(dry_run=dry_run)
            result.errors.append(RowError(0, "文件", "没有导入志愿技能的权限。"))
            return result
        return super().run(data, filename, dry_run=dry_run)

    def build(self, row, values):
        obj = self.existing.get(values["code"]) or Skill(code=values["code"])
        obj.name = values["name"]
        return obj

    def clean_instance(self, obj):
        # Lengths and the code validator; uniqueness of names is checked across rows below.
        obj.full_clean(validate_unique=False, validate_constraints=False)

    def check_all(self, items):
        errors: list[RowError] = []
        seen: dict[str, int] = {}
        for row, obj in items:
            if obj.name in seen:
                errors.append(RowError(row, "技能名称", f"与第 {seen[obj.name]} 行重复。"))
            seen.setdefault(obj.name, row)
        codes_by_name = {obj.name: obj.code for _, obj in items}
        taken = Skill.objects.filter(name__in=list(codes_by_name)).values_list("name", "code")
        for name, code in taken:
            if codes_by_name[name] != code:
                errors.append(RowError(seen[name], "技能名称", f"“{name}”已是技能“{code}”的名称。"))
        return errors

    def after_save(self, result):
        audit(
            actor=self.user,
            action="skill.import",
            target_type="volunteers.skill",
            target_repr=f"导入志愿技能 {result.created + result.updated} 项",
            detail={"created": result.created, "updated": result.updated},
        )


class VolunteerImporter(ScopedOrgMixin, BaseImporter):
    """The volunteer roster (花名册). Key: 志愿者编号. Built for tens of thousands of rows:
    every look-up is one query per file, rows are written with bulk_create in batches and
    their change history with bulk_history_create, in one transaction."""

    model = Volunteer
    key_field = "number"
    title = "志愿者"
    sheet_name = "志愿者"
    batch_size = 2000
    columns = [
        Column("number", "志愿者编号", required=True, help="全系统唯一，如 TD-ZQ-YL-V000001"),
        Column("name", "姓名", required=True),
        Column("id_number", "身份证号", parse=normalize_id_number, help="18 位，校验 GB 11643"),
        Column("phone", "联系电话", required=True, parse=normalize_phone),
        Column(
            "gender",
            "性别",
            parse=parse_optional_choice(Gender),
            export=lambda v: v.get_gender_display(),
        ),
        Column(
            "person_kind",
            "身份类别",
            parse=parse_optional_choice(PersonKind),
            export=lambda v: v.get_person_kind_display(),
            help="居民、党员、驻区单位职工",
        ),
        Column(
            "partner_unit_code",
            "所在单位编码",
            export=lambda v: v.partner_unit.code if v.partner_unit_id else "",
            help="驻区单位职工必填",
        ),
        Column(
            "community_code",
            "服务社区编码",
            required=True,
            export=lambda v: v.community.code,
        ),
        Column(
            "status",
            "注册状态",
            parse=parse_optional_choice(VolunteerStatus),
            export=lambda v: v.get_status_display(),
            help="申请、已注册、暂停；留空为已注册",
        ),
        Column(
            "skills",
            "技能",
            parse=split_list,
            export=lambda v: "、".join(s.name for s in v.skills.all()),
            help="技能名称或编码，用顿号分隔",
        ),
        Column(
            "availability",
            "可服务时间",
            parse=parse_availability,
            export=lambda v: v.get_availability_display(),
            help="工作日白天、工作日晚间、周末、随叫随到（应急）",
        ),
        Column("registered_on", "注册日期", parse=parse_iso_date),
        Column("note", "备注"),
    ]
    # The row checks of Volunteer's fields, computed once: (field, max_length, validators).
    _checked_fields = None

    def prepare(self, rows):
        super().prepare(rows)
        self.skill_by_key: dict[str, Skill] = {}
        for skill in Skill.objects.all():
            self.skill_by_key[skill.code] = skill
            self.skill_by_key[skill.name] = skill
        self.units = CodeLookup(
            PartnerUnit, queryset=linkable(self.user, Volunteer, "partner_unit")
        )
        self.row_skills: dict[str, list[int]] = {}
        self.row_of: dict[str, int] = {}

    def build(self, row: int, values: dict[str, Any]) -> Volunteer:
        number = values["number"]
        community = self.org(values["community_code"], "服务社区编码", community_only=True)
        obj = self.existing.get(number)
        if obj is None:
            obj = Volunteer(number=number, status=VolunteerStatus.REGISTERED)
        elif not in_scope(self.user, obj.community):
            raise RowInvalid([("志愿者编号", _KEY_TAKEN.format(number))])
        obj.community = community
        for name in ("name", "phone", "gender", "person_kind", "note", "registered_on"):
            if name in values and (values[name] or name in ("gender", "note")):
                setattr(obj, name, values[name])
        if "id_number" in values:
            obj.id_number = values["id_number"] or None
        if values.get("status"):
            obj.status = values["status"]
        if obj.status == VolunteerStatus.REGISTERED and not obj.registered_on:
            obj.registered_on = timezone.localdate()
        if "availability" in values:
            obj.availability = values["availability"]
        unit_code = values.get("partner_unit_code")
        if unit_code:
            unit = self.units.get(unit_code)
            if unit is None:
                raise RowInvalid([("所在单位编码", f"找不到单位编码“{unit_code}”。")])
            obj.partner_unit = unit
        if "skills" in values:
            unknown = [s for s in values["skills"] if s not in self.skill_by_key]
            if unknown:
                raise RowInvalid([("技能", f"未知技能：{'、'.join(unknown)}。")])
            self.row_skills[number] = [self.skill_by_key[s].pk for s in values["skills"]]
        self.row_of[number] = row
        return obj

    @classmethod
    def checked_fields(cls):
        if cls._checked_fields is None:
            cls._checked_fields = [
                (f.attname, f.max_length, f.blank, f.validators)
                for f in Volunteer._meta.concrete_fields
                if f.name in {"number", "name", "id_number", "phone", "note"}
            ]
        return cls._checked_fields

    def clean_instance(self, obj: Volunteer) -> None:
        """The same rules as full_clean (lengths, validators, then Volunteer.clean), without
        Django's per-field machinery: choices and dates are already parsed by the columns."""
        errors: dict[str, list[str]] = {}
        for name, max_length, blank, validators in self.checked_fields():
            value = getattr(obj, name)
            if value in (None, ""):
                if not blank:
                    errors[name] = ["不能为空。"]
                continue
            if max_length and len(value) > max_length:
                errors[name] = [f"不能超过 {max_length} 个字符。"]
                continue
            for validator in validators:
                try:
                    validator(value)
                except ValidationError as exc:
                    errors.setdefault(name, []).extend(exc.messages)
        try:
            obj.clean()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def column_header(self, field_name: str) -> str:
        if field_name == "partner_unit":
            return "所在单位编码"
        return super().column_header(field_name)

    def check_all(self, items: list[tuple[int, Volunteer]]) -> list[RowError]:
        """ID numbers are unique across the file and against other volunteers in the system."""
        errors: list[RowError] = []
        seen: dict[str, int] = {}
        for row, obj in items:
            if obj.id_number:
                if obj.id_number in seen:
                    errors.append(RowError(row, "身份证号", f"与第 {seen[obj.id_number]} 行重复。"))
                seen.setdefault(obj.id_number, row)
        numbers_by_id = {obj.id_number: obj.number for _, obj in items if obj.id_number}
        ids = list(numbers_by_id)
        for start in range(0, len(ids), 5000):
            for id_number, number in Volunteer.objects.filter(
                id_number__in=ids[start : start + 5000]
            ).values_list("id_number", "number"):
                if numbers_by_id[id_number] != number:
                    row = seen[id_number]
                    errors.append(
                        RowError(row, "身份证号", f"已登记为志愿者“{number}”，不能重复登记。")
                    )
        return errors

    def update_fields(self) -> list[str]:
        return [
            "name",
            "id_number",
            "phone",
            "gender",
            "person_kind",
            "partner_unit",
            "community",
            "status",
            "availability",
            "registered_on",
            "note",
            "updated_at",
        ]

    def save(self, new: list[Volunteer], changed: list[Volunteer]) -> None:
        now = timezone.now()
        user = self.user if getattr(self.user, "pk", None) else None
        for obj in new:
            obj.created_at = obj.updated_at = now
        for obj in changed:
            obj.updated_at = now
        if new and is_postgresql():
            copy_instances(Volunteer, new)
            copy_history(Volunteer, new, user=user, when=now, reason="导入")
        elif new:
            bulk_create_with_history(
                new,
                Volunteer,
                batch_size=self.batch_size,
                default_user=user,
                default_change_reason="导入",
            )
        if changed:
            bulk_update_with_history(
                changed,
                Volunteer,
                self.update_fields(),
                batch_size=self.batch_size,
                default_user=user,
                default_change_reason="导入",
            )
        self.save_skills(new + changed)

    def save_skills(self, objs: list[Volunteer]) -> None:
        through = Volunteer.skills.through
        touched = [obj.pk for obj in objs if obj.number in self.row_skills]
        if not touched:
            return
        for start in range(0, len(touched), 5000):
            through.objects.filter(volunteer_id__in=touched[start : start + 5000]).delete()
        pairs = [
            (obj.pk, skill_id)
            for obj in objs
            for skill_id in dict.fromkeys(self.row_skills.get(obj.number, []))
        ]
        if is_postgresql():
            copy_rows(through._meta.db_table, ["volunteer_id", "skill_id"], pairs)
        else:
            through.objects.bulk_create(
                [through(volunteer_id=v, skill_id=s) for v, s in pairs],
                batch_size=self.batch_size,
            )

    def after_save(self, result: ImportResult) -> None:
        audit(
            actor=self.user,
            action="volunteer.import",
            target_type="volunteers.volunteer",
            target_repr=f"导入志愿者 {result.created + result.updated} 名",
            detail={"created": result.created, "updated": result.updated},
        )

    def export_queryset(self, queryset):
        return queryset.select_related("community", "partner_unit").prefetch_related("skills")


class TeamImporter(ScopedOrgMixin, BaseImporter):
    model = Team
    title = "志愿服务队"
    sheet_name = "服务队"
    columns = [
        Column("code", "服务队编码", required=True),
        Column("name", "名称", required=True),
        Column(
            "kind",
            "类型",
            required=True,
            parse=choice_parser(TeamKind),
            export=lambda t: t.get_kind_display(),
            help="、".join(str(label) for label in TeamKind.labels),
        ),
        Column("community_code", "所属社区编码", required=True, export=lambda t: t.community.code),
        Column(
            "leader_number",
            "队长志愿者编号",
            export=lambda t: t.leader.number if t.leader_id else "",
        ),
        Column("is_temporary", "临时队伍", parse=lambda v: v.strip() in {"是", "1", "true", "y"}),
        Column("established_on", "成立日期", parse=parse_date),
        Column("ends_on", "结束日期", parse=parse_date, help="临时队伍必填"),
        Column("description", "简介"),
    ]

    def prepare(self, rows):
        super().prepare(rows)
        numbers = [v["leader_number"] for _, v in rows if v.get("leader_number")]
        self.leaders = {v.number: v for v in Volunteer.objects.filter(number__in=numbers)}

    def build(self, row, values):
        obj = self.existing.get(values["code"]) or Team(code=values["code"])
        if obj.pk and not in_scope(self.user, obj.community):
            raise RowInvalid([("服务队编码", _KEY_TAKEN.format(obj.code))])
        obj.community = self.org(values["community_code"], "所属社区编码", community_only=True)
        for name in ("name", "kind", "is_temporary", "established_on", "ends_on", "description"):
            if name in values:
                setattr(obj, name, values[name])
        number = values.get("leader_number")
        if number:
            leader = self.leaders.get(number)
            if leader is None:
                raise RowInvalid([("队长志愿者编号", f"找不到志愿者“{number}”。")])
            obj.leader = leader
        return obj

    def update_fields(self):
        return [
            "name",
            "kind",
            "community",
            "leader",
            "is_temporary",
            "established_on",
            "ends_on",
            "description",
        ]

    def save(self, new, changed):
        super().save(new, changed)
        through = Team.members.through
        through.objects.bulk_create(
            [through(team_id=t.pk, volunteer_id=t.leader_id) for t in new + changed if t.leader_id],
            ignore_conflicts=True,
        )

    def export_queryset(self, queryset):
        return queryset.select_related("community", "leader")


class ActivityImporter(ScopedOrgMixin, BaseImporter):
    """志愿活动 by 活动编码. A new row publishes an activity; a row for an existing activity
    edits its plain fields (name, organiser, team, times, place, capacity, description) as
    ``activity_update`` does (capacity not below the confirmed sign-ups, the waitlist moves up
    when it grows). What the workflow owns (``Activity.workflow_fields``: the status and the
    cancel reason) is never written by a file: a changed 状态 is a row error, and a cancelled
    activity cannot be edited at all."""

    model = Activity
    title = "志愿活动"
    sheet_name = "志愿活动"
    columns = [
        Column("code", "活动编码", required=True),
        Column("title", "活动名称", required=True),
        Column("organizer_code", "主办组织编码", required=True, export=lambda a: a.organizer.code),
        Column("team_code", "承办服务队编码", export=lambda a: a.team.code if a.team_id else ""),
        Column(
            "starts_at",
            "开始时间",
            required=True,
            parse=lambda v: _parse_datetime(v),
            export=lambda a: timezone.localtime(a.starts_at).strftime("%Y-%m-%d %H:%M"),
            help="YYYY-MM-DD HH:MM",
            example="2026-01-05 09:00",
        ),
        Column(
            "ends_at",
            "结束时间",
            required=True,
            parse=lambda v: _parse_datetime(v),
            export=lambda a: timezone.localtime(a.ends_at).strftime("%Y-%m-%d %H:%M"),
            help="YYYY-MM-DD HH:MM，须晚于开始时间",
            example="2026-01-05 11:00",
        ),
        Column("place", "地点", required=True),
        Column(
            "capacity",
            "名额",
            required=True,
            parse=parse_int,
            help="至少 1；已有活动不能少于已报名成功的人数",
        ),
        Column("description", "活动内容"),
        Column(
            "status",
            "状态",
            parse=choice_parser(ActivityStatus),
            export=lambda a: a.get_status_display(),
            help="留空为已发布；由活动流程维护（取消活动请在系统中办理），导入不能修改",
        ),
    ]
    plain_fields = ("title", "starts_at", "ends_at", "place", "capacity", "description")

    def edit_refusal(self, stored: Activity, changes) -> str | None:
        if stored.status == ActivityStatus.CANCELLED:
            return f"活动“{stored.code}”已取消，不能修改。请恢复原值或删除该行。"
        if self.column_header("status") in self.changed_columns(changes):
            return (
                "活动状态由活动流程维护（取消活动请在系统中办理并填写原因），不能通过导入修改。"
                "请恢复原值或删除该行。"
            )
        return None

    def prepare(self, rows):
        super().prepare(rows)
        self.teams = CodeLookup(Team, queryset=linkable(self.user, Activity, "team"))
        changed = [a.pk for a in self.existing.values()]
        self.confirmed = dict(
            SignUp.objects.filter(activity_id__in=changed, status=SignUpStatus.CONFIRMED)
            .values("activity_id")
            .annotate(n=Count("id"))
            .values_list("activity_id", "n")
        )
        self.updates: dict[int, dict[str, Any]] = {}

    def build(self, row, values):
        obj = self.existing.get(values["code"])
        adding = obj is None
        if adding:
            obj = Activity(code=values["code"])
            if values.get("status") not in (None, "", ActivityStatus.OPEN):
                raise RowInvalid([("状态", "新增的活动只能是已发布（留空即可）。")])
        before = {
            name: getattr(obj, name) for name in (*self.plain_fields, "organizer_id", "team_id")
        }
        obj.organizer = self.org(values["organizer_code"], "主办组织编码")
        for name in self.plain_fields:
            if name not in values:
                continue
            value = values[name] if values[name] is not None else ""
            if name in ("starts_at", "ends_at") and _same_minute(getattr(obj, name), value):
                continue  # the file shows minutes: an unchanged cell keeps the stored seconds
            setattr(obj, name, value)
        if values.get("team_code"):
            team = self.teams.get(values["team_code"])
            if team is None:
                raise RowInvalid([("承办服务队编码", f"找不到服务队“{values['team_code']}”。")])
            obj.team = team
        elif "team_code" in values:
            obj.team = None
        if not adding:
            confirmed = self.confirmed.get(obj.pk, 0)
            if obj.capacity is not None and obj.capacity < confirmed:
                raise RowInvalid(
                    [("名额", f"已有 {confirmed} 人报名成功，名额不能少于 {confirmed}。")]
                )
            self.updates[obj.pk] = {
                name.removesuffix("_id"): getattr(obj, name.removesuffix("_id"))
                for name, old in before.items()
                if getattr(obj, name) != old
            }
        return obj

    def clean_instance(self, obj):
        obj.full_clean(exclude=["code"], validate_unique=False, validate_constraints=False)

    def save(self, new, changed):
        super().save(new, [])
        # Edits go through the service: row lock, capacity re-checked, waitlist promoted.
        for obj in changed:
            activity_update(actor=self.user, activity=obj, **self.updates.get(obj.pk, {}))

    def after_save(self, result):
        audit(
            actor=self.user,
            action="activity.import",
            target_type="volunteers.activity",
            target_repr=f"导入志愿活动 新增 {result.created} 个，修改 {result.updated} 个",
            detail={"created": result.created, "updated": result.updated},
        )

    def export_queryset(self, queryset):
        return queryset.select_related("organizer", "team")


def _same_minute(stored, value) -> bool:
    if not (stored and value):
        return False
    return stored.replace(second=0, microsecond=0) == value.replace(second=0, microsecond=0)


def _parse_datetime(value: str):
    from datetime import datetime

    value = value.strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return timezone.make_aware(datetime.strptime(value, fmt))
        except ValueError:
            continue
    raise ValidationError(f"时间“{value}”无法识别，应为 YYYY-MM-DD HH:MM。")


class ExportOnlyImporter(BaseImporter):
    def run(self, data: bytes, filename: str = "", *, dry_run: bool = True) -> ImportResult:
        result = ImportResult(dry_run=dry_run)
        result.errors.append(
            RowError(0, "文件", f"{self.title}只能导出，不能导入：请通过业务流程登记。")
        )
        return result

    def build(self, row, values):
        raise FileRejected(f"{self.title}只能导出。")


class HoursEntryExporter(ExportOnlyImporter):
    model = HoursEntry
    title = "服务时长台账"
    sheet_name = "服务时长台账"
    key_field = "id"
    columns = [
        Column("id", "记录号"),
        Column("volunteer_number", "志愿者编号", export=lambda e: e.volunteer.number),
        Column("volunteer_name", "姓名", export=lambda e: e.volunteer.name),
        Column("served_on", "服务日期"),
        Column("hours", "时长（小时）"),
        Column("source", "来源", export=lambda e: e.get_source_display()),
        Column(
            "activity_code", "活动编码", export=lambda e: e.activity.code if e.activity_id else ""
        ),
        Column("wish_code", "心愿编号", export=lambda e: e.wish.code if e.wish_id else ""),
        Column("corrects_id", "更正的记录号", export=lambda e: e.corrects_id or ""),
        Column("reason", "说明"),
        Column("created_at", "登记时间", export=lambda e: timezone.localtime(e.created_at)),
    ]

    def export_queryset(self, queryset):
        return queryset.select_related("volunteer", "activity", "wish")


class SignUpExporter(ExportOnlyImporter):
    """Sign-ups (活动报名), export only: a sign-up is made through ``sign_up_create`` (capacity,
    waitlist, overlap and skill rules under row locks), one at a time, so files cannot create
    them. No phone or ID number: the volunteer is given by number and name."""

    model = SignUp
    title = "活动报名"
    sheet_name = "活动报名"
    key_field = "id"
    columns = [
        Column("id", "记录号"),
        Column("activity_code", "活动编码", export=lambda s: s.activity.code),
        Column("activity_title", "活动名称", export=lambda s: s.activity.title),
        Column("volunteer_number", "志愿者编号", export=lambda s: s.volunteer.number),
        Column("volunteer_name", "姓名", export=lambda s: s.volunteer.name),
        Column("status", "状态", export=lambda s: s.get_status_display()),
        Column("created_at", "报名时间", export=lambda s: _local(s.created_at)),
        Column("checked_in_at", "签到时间", export=lambda s: _local(s.checked_in_at)),
        Column("checked_out_at", "签退时间", export=lambda s: _local(s.checked_out_at)),
        Column(
            "hours",
            "时长（小时）",
            export=lambda s: "" if s.entry_hours is None else s.entry_hours + s.corrected_hours,
            help="签退记入台账的时长，含更正",
        ),
        Column("cancelled_at", "取消时间", export=lambda s: _local(s.cancelled_at)),
        Column("cancel_reason", "取消原因"),
    ]

    def export_queryset(self, queryset):
        # The check-out entry plus its corrections (a correction never corrects a correction).
        entry = HoursEntry.objects.filter(sign_up=OuterRef("pk")).values("hours")[:1]
        corrections = (
            HoursEntry.objects.filter(corrects__sign_up=OuterRef("pk"))
            .order_by()
            .values("corrects")
            .annotate(total=Sum("hours"))
            .values("total")
        )
        return queryset.select_related("activity", "volunteer").annotate(
            entry_hours=Subquery(entry, output_field=HOURS_FIELD),
            corrected_hours=Coalesce(
                Subquery(corrections, output_field=HOURS_FIELD),
                Value(0),
                output_field=HOURS_FIELD,
            ),
        )


class WishExporter(ExportOnlyImporter):
    model = Wish
    title = "微心愿"
    sheet_name = "微心愿"
    columns = [
        Column("code", "心愿编号"),
        Column("title", "心愿"),
        Column("community_code", "社区编码", export=lambda w: w.community.code),
        Column("beneficiary_name", "心愿人姓名"),
        Column("beneficiary_phone", "心愿人电话"),
        Column("status", "状态", export=lambda w: w.get_status_display()),
        Column("claimant", "认领方", export=lambda w: str(w.claimant or "")),
        Column("published_at", "发布时间", export=lambda w: _local(w.published_at)),
        Column("fulfilled_at", "完成时间", export=lambda w: _local(w.fulfilled_at)),
        Column("days_to_fulfil", "用时（天）", export=lambda w: w.days_to_fulfil),
    ]

    def export_queryset(self, queryset):
        return queryset.select_related(
            "community", "claimed_by_volunteer", "claimed_by_team", "claimed_by_unit"
        )


def _local(value):
    return timezone.localtime(value) if value else ""
