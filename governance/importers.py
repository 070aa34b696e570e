"""File import/export of meeting series and meetings (codes, never database ids)."""

from __future__ import annotations

from core.importing import (
    _KEY_TAKEN,
    BaseImporter,
    Column,
    RowInvalid,
    choice_parser,
    parse_bool,
    parse_date,
    parse_int,
)
from core.links import linkable
from core.scope import in_scope
from governance.choices import Cadence, MeetingStatus, SeriesKind
from governance.models import Meeting, MeetingSeries


class MeetingSeriesImporter(BaseImporter):
    model = MeetingSeries
    sheet_name = "联席会议制度"
    title = "联席会议制度"
    columns = [
        Column("code", "系列编码", required=True),
        Column("name", "名称", required=True),
        Column(
            "kind",
            "会议类型",
            required=True,
            parse=choice_parser(SeriesKind),
            export=lambda o: o.get_kind_display(),
        ),
        Column("body_code", "召集组织编码", required=True, export=lambda o: o.body.code),
        Column(
            "cadence",
            "频次",
            required=True,
            parse=choice_parser(Cadence),
            export=lambda o: o.get_cadence_display(),
        ),
        Column(
            "due_within_days",
            "须在每期前几天内召开",
            parse=parse_int,
            help="如“每季度第一周”填 7，留空为整期",
        ),
        Column("starts_on", "起始日期", required=True, parse=parse_date),
        Column("ends_on", "终止日期", parse=parse_date),
        Column(
            "convenor_username",
            "召集人账号",
            export=lambda o: o.convenor.username if o.convenor_id else "",
        ),
        Column("default_place", "默认地点"),
        Column("rotating_chair", "轮值主席制", parse=parse_bool),
        Column("active", "启用", parse=lambda v: parse_bool(v or "是")),
    ]

    def prepare(self, rows):
        super().prepare(rows)
        codes = {v.get("body_code") for _, v in rows}
        # Only what the API may link (core.links): out of reach answers like unknown.
        allowed = linkable(self.user, MeetingSeries, "body")
        self.orgs = {o.code: o for o in allowed.filter(code__in=codes)}
        names = {v.get("convenor_username") for _, v in rows if v.get("convenor_username")}
        allowed = linkable(self.user, MeetingSeries, "convenor")  # as the API: else "not found"
        self.users = {u.username: u for u in allowed.filter(username__in=names)}

    def build(self, row, values):
        errors = []
        body = self.orgs.get(values["body_code"])
        if body is None:
            errors.append(("召集组织编码", f"找不到组织“{values['body_code']}”。"))
        convenor = None
        if values.get("convenor_username"):
            convenor = self.users.get(values["convenor_username"])
            if convenor is None:
                errors.append(("召集人账号", f"找不到账号“{values['convenor_username']}”。"))
        obj = self.existing.get(values["code"])
        if obj is not None and not in_scope(self.user, obj.body):
            errors.append(("系列编码", _KEY_TAKEN.format(values["code"])))
        if errors:
            raise RowInvalid(errors)
        obj = obj or MeetingSeries(code=values["code"])
        for name in ("name", "kind", "cadence", "due_within_days", "starts_on", "ends_on"):
            setattr(obj, name, values.get(name))
        obj.default_place = values.get("default_place", "")
        obj.rotating_chair = values.get("rotating_chair", False)
        obj.active = values.get("active", True)
        obj.body = body
        obj.convenor = convenor
        return obj

    def export_queryset(self, queryset):
        return queryset.select_related("body", "convenor")

    def update_fields(self):
        return [
            "name",
            "kind",
            "body",
            "cadence",
            "due_within_days",
            "starts_on",
            "ends_on",
            "convenor",
            "default_place",
            "rotating_chair",
            "active",
        ]


_status = choice_parser(MeetingStatus)


class MeetingImporter(BaseImporter):
    """Meetings by (series code, planned date); held meetings keep their held date."""

    model = Meeting
    sheet_name = "会议"
    title = "会议"
    columns = [
        Column("series_code", "会议制度编码", required=True, export=lambda o: o.series.code),
        Column("planned_on", "计划日期", required=True, parse=parse_date),
        Column("period_start", "所属周期起", parse=parse_date, help="留空则取计划日期所在周期"),
        Column("title", "会议名称"),
        Column("place", "地点"),
        Column(
            "status",
            "状态",
            parse=lambda v: _status(v) if v.strip() else "",
            export=lambda o: o.get_status_display(),
        ),
        Column("held_on", "实际召开日期", parse=parse_date),
        Column("minutes", "会议纪要"),
        Column("code", "会议编号", help="导入时自动生成，无需填写"),
    ]
    key_field = "code"

    def parse_rows(self, table, result):
        rows = super().parse_rows(table, result)
        for _, values in rows:
            if values.get("series_code") and values.get("planned_on"):
                values["code"] = f"{values['series_code']}-{values['planned_on']:%Y%m%d}"
        return rows

    def prepare(self, rows):
        super().prepare(rows)
        codes = {v.get("series_code") for _, v in rows}
        self.series = {
            s.code: s
            for s in linkable(self.user, Meeting, "series")
            .filter(code__in=codes)
            .select_related("body")
        }

    def build(self, row, values):
        series = self.series.get(values["series_code"])
        if series is None:
            raise RowInvalid([("会议制度编码", f"找不到会议制度“{values['series_code']}”。")])
        obj = self.existing.get(values["code"]) or Meeting(code=values["code"], series=series)
        planned_on = values["planned_on"]
        obj.planned_on = planned_on
        obj.period_start = values.get("period_start") or series.period_of(planned_on).start
        obj.period_end = series.period_of(obj.period_start).end
        obj.title = (
            values.get("title")
            or obj.title
            or f"{series.name}（{series.period_of(obj.period_start).label}）"
        )
        obj.place = values.get("place", obj.place) or series.default_place
        obj.status = values.get("status") or obj.status or MeetingStatus.PLANNED
        obj.held_on = values.get("held_on")
        obj.minutes = values.get("minutes", obj.minutes)
        return obj

    def export_queryset(self, queryset):
        return queryset.select_related("series")

    def update_fields(self):
        return [
            "planned_on",
            "period_start",
            "period_end",
            "title",
            "place",
            "status",
            "held_on",
            "minutes",
        ]
