"""Files: the work list, indicator sets (the district writes them in Excel), scores per
period, and the results export. All through ``core.importing.BaseImporter``: every bad row is
reported with its row number and nothing is written unless the whole file is clean."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from core.importing import (
    BaseImporter,
    Column,
    ImportResult,
    RowError,
    RowInvalid,
    choice_parser,
    parse_bool,
    parse_decimal,
    parse_int,
)
from core.links import linkable
from core.scope import in_scope
from core.services import audit
from governance.assessment.choices import (
    Holder,
    IndicatorSource,
    ListStatus,
    Responsibility,
)
from governance.assessment.models import (
    Indicator,
    IndicatorSet,
    Result,
    Score,
    WorkItem,
)
from governance.assessment.services.scoring import (
    can_manage_indicator_sets,
    can_score,
    score_errors,
    weight_errors,
)

_source = choice_parser(IndicatorSource)


def parse_source(value: str) -> str:
    """Blank means manual; 人工/自动 are accepted as short forms."""
    v = value.strip()
    if not v or v == "人工":
        return IndicatorSource.MANUAL
    if v == "自动":
        return IndicatorSource.AUTOMATIC
    return _source(v)


FIELD_HEADERS = {"organization": "组织编码", "indicator": "条目编码", "value": "得分"}


class WorkItemImporter(BaseImporter):
    """Items of a draft list version (e.g. the 30-item list), by version code and item code."""

    model = WorkItem
    title = "工作事项"
    sheet_name = "工作事项"
    columns = [
        Column("version_code", "清单版本编码", required=True, export=lambda i: i.version.code),
        Column("code", "事项编码", required=True),
        Column("seq", "序号", required=True, parse=parse_int),
        Column(
            "holder",
            "责任主体",
            required=True,
            parse=choice_parser(Holder),
            export=lambda i: i.get_holder_display(),
            help="、".join(str(label) for _, label in Holder.choices),
        ),
        Column(
            "responsibility",
            "责任类型",
            required=True,
            parse=choice_parser(Responsibility),
            export=lambda i: i.get_responsibility_display(),
            help="主体责任、协助责任",
        ),
        Column("title", "事项名称", required=True),
        Column("description", "事项内容"),
        Column("legal_basis", "法律法规及政策依据"),
        Column("is_public", "在居民门户公开", parse=parse_bool, help="是/否，默认否"),
    ]

    def prepare(self, rows):
        super().prepare(rows)
        codes = {values["version_code"] for _, values in rows}
        self.versions = {
            v.code: v
            # Only what the API may link (core.links): out of reach answers like unknown.
            for v in linkable(self.user, WorkItem, "version")
            .filter(code__in=codes)
            .select_related("street")
        }

    def build(self, row: int, values: dict[str, Any]) -> WorkItem:
        version = self.versions.get(values["version_code"])
        if version is None or not in_scope(self.user, version.street):
            raise RowInvalid([("清单版本编码", f"清单版本“{values['version_code']}”不存在。")])
        if version.status != ListStatus.DRAFT:
            raise RowInvalid([("清单版本编码", "清单已发布，只能导入到草稿版本。")])
        item = self.existing.get(values["code"]) or WorkItem(code=values["code"])
        if item.pk and item.version_id != version.pk:
            raise RowInvalid([("事项编码", "该编码已用于其他清单版本的事项。")])
        item.version = version
        for name in ("seq", "holder", "responsibility", "title", "description", "legal_basis"):
            setattr(item, name, values.get(name) or getattr(item, name))
        item.is_public = values.get("is_public", False)
        return item

    def visible_queryset(self):
        # A community reads the list its street published (``InheritedListQuerySet``): its
        # export holds those items, and re-importing them unchanged is 未变; changing one is
        # refused (it may see, not change, the street's list).
        return WorkItem.objects.visible_to(self.user)

    def check_all(self, items):
        errors, seen = [], {}
        for row, item in items:
            key = (item.version.code, item.seq)
            if key in seen:
                errors.append(RowError(row, "序号", f"序号 {item.seq} 与第 {seen[key]} 行重复。"))
            seen[key] = row
        return errors

    def export_queryset(self, queryset):
        return queryset.select_related("version")


class IndicatorImporter(BaseImporter):
    """One indicator set per file: aspects (no 所属方面) and items under them."""

    model = Indicator
    title = "考核指标"
    sheet_name = "考核指标"
    columns = [
        Column("set_code", "指标体系编码", required=True, export=lambda i: i.indicator_set.code),
        Column("code", "指标编码", required=True, help="同一指标体系内唯一"),
        Column("name", "名称", required=True),
        Column(
            "parent_code",
            "所属方面编码",
            help="方面留空；条目填所属方面的编码",
            export=lambda i: i.parent.code if i.parent_id else "",
        ),
        Column("seq", "序号", parse=parse_int),
        Column("weight", "权重", required=True, parse=parse_decimal),
        Column("max_score", "满分", parse=parse_decimal, help="条目必填"),
        Column(
            "source",
            "评分方式",
            parse=parse_source,
            export=lambda i: i.get_source_display(),
            help="人工评分（上考）或 系统自动取数，默认人工",
        ),
        Column("figure", "自动取数指标", help="自动取数的条目填写指标代码"),
        Column("criteria", "评分标准"),
    ]

    def prepare(self, rows):
        set_codes = {values["set_code"] for _, values in rows}
        self.sets = {s.code: s for s in IndicatorSet.objects.filter(code__in=set_codes)}
        self.stored = {
            (i.indicator_set.code, i.code): i
            for i in Indicator.objects.filter(indicator_set__code__in=set_codes).select_related(
                "indicator_set", "parent"
            )
        }
        self.existing = {}
        self.file_aspects = {
            (values["set_code"], values["code"]): row
            for row, values in rows
            if not values.get("parent_code")
        }
        self.built: dict[tuple[str, str], Indicator] = {}
        self.can_manage = can_manage_indicator_sets(self.user)

    def build(self, row: int, values: dict[str, Any]) -> Indicator:
        set_code, code = values["set_code"], values["code"]
        indicator_set = self.sets.get(set_code)
        if indicator_set is None:
            raise RowInvalid([("指标体系编码", f"指标体系“{set_code}”不存在，请先在系统中建立。")])
        if indicator_set.status != "draft":
            raise RowInvalid([("指标体系编码", "指标体系已启用，不能再导入修改。")])
        if not self.can_manage:
            raise RowInvalid([("指标体系编码", "考核指标体系由街道或区级制定，社区不能修改。")])
        obj = self.stored.get((set_code, code)) or Indicator(indicator_set=indicator_set, code=code)
        obj.indicator_set = indicator_set
        obj.name = values["name"]
        obj.seq = values.get("seq") or row
        obj.weight = values["weight"]
        obj.max_score = values.get("max_score")
        obj.source = values.get("source") or IndicatorSource.MANUAL
        obj.figure = values.get("figure", "")
        obj.criteria = values.get("criteria", "")
        parent_code = values.get("parent_code")
        if parent_code:
            key = (set_code, parent_code)
            parent = self.built.get(key)
            if parent is None and key not in self.file_aspects:
                stored = self.stored.get(key)
                if stored is not None and stored.parent_id is None:
                    parent = stored
            if parent is None and key in self.file_aspects:
                raise RowInvalid(
                    [
                        (
                            "所属方面编码",
                            f"方面“{parent_code}”应写在其条目之前（见第 {self.file_aspects[key]} 行）。",
                        )
                    ]
                )
            if parent is None:
                raise RowInvalid(
                    [("所属方面编码", f"方面“{parent_code}”不存在（文件和系统中都没有）。")]
                )
            obj.parent = parent
        else:
            obj.parent = None
        self.built[(set_code, code)] = obj
        return obj

    def clean_instance(self, obj: Indicator) -> None:
        # The parent may be an aspect of this same file, not saved yet.
        obj.full_clean(
            exclude=["parent", "indicator_set"], validate_unique=False, validate_constraints=False
        )
        if obj.parent is not None and obj.parent.parent is not None:
            raise ValidationError({"parent_code": "条目只能挂在方面之下。"})

    def column_header(self, field_name: str) -> str:
        if field_name == "parent":
            return "所属方面编码"
        return super().column_header(field_name)

    def check_all(self, items):
        errors: list[RowError] = []
        sets = {obj.indicator_set.code for _, obj in items}
        if len(sets) > 1:
            return [RowError(0, "指标体系编码", "一个文件只能导入一个指标体系。")]
        if not items:
            return errors
        indicator_set = items[0][1].indicator_set
        in_file = {obj.code for _, obj in items}
        merged = [obj for _, obj in items] + [
            i for (s, code), i in self.stored.items() if code not in in_file
        ]
        for message in weight_errors(indicator_set, merged):
            errors.append(RowError(0, "权重", message))
        return errors

    def save(self, new, changed):
        aspects = [o for o in new + changed if o.parent is None]
        items = [o for o in new + changed if o.parent is not None]
        for group in (aspects, items):
            for obj in group:
                if obj.parent is not None:
                    obj.parent_id = obj.parent.pk
            fresh = [o for o in group if o._state.adding]
            stale = [o for o in group if not o._state.adding]
            if fresh:
                Indicator.objects.bulk_create(fresh)
            if stale:
                Indicator.objects.bulk_update(
                    stale,
                    [
                        "name",
                        "parent",
                        "seq",
                        "weight",
                        "max_score",
                        "source",
                        "figure",
                        "criteria",
                    ],
                )

    def after_save(self, result: ImportResult) -> None:
        audit(
            actor=self.user,
            action="assessment.indicator_import",
            target_type="assessment.indicatorset",
            target_repr=", ".join(self.sets),
            detail={"created": result.created, "updated": result.updated},
        )

    def export_queryset(self, queryset):
        return queryset.select_related("indicator_set", "parent").order_by(
            "indicator_set_id", "parent_id", "seq", "id"
        )


class ScoreImporter(BaseImporter):
    """上考 scores for one or more periods, by assessment, organisation and item code."""

    model = Score
    title = "上考评分"
    sheet_name = "上考评分"
    key_field = "key"
    columns = [
        Column("assessment_code", "考核编码", required=True, export=lambda s: s.assessment.code),
        Column("org_code", "组织编码", required=True, export=lambda s: s.organization.code),
        Column(
            "org_name",
            "组织名称",
            help="仅供核对，导入时忽略",
            export=lambda s: s.organization.name,
        ),
        Column("indicator_code", "条目编码", required=True, export=lambda s: s.indicator.code),
        Column("value", "得分", required=True, parse=parse_decimal),
        Column("evidence", "评分依据"),
    ]

    def parse_rows(self, table, result):
        rows = super().parse_rows(table, result)
        for _, values in rows:
            values["key"] = (
                values["assessment_code"],
                values["org_code"],
                values["indicator_code"],
            )
        return rows

    def may_change(self, stored: Score) -> bool:
        # A community sees the scores it was given, but only the level above gives them.
        return can_score(self.user, stored.organization)

    def owner_label(self, stored: Score) -> str:
        return f"上级“{stored.assessment.organizer}”"

    def stored_key(self, score):
        return (score.assessment.code, score.organization.code, score.indicator.code)

    def column_header(self, field_name: str) -> str:
        if field_name == "key":
            return "组织编码/条目编码"
        return FIELD_HEADERS.get(field_name) or super().column_header(field_name)

    def prepare(self, rows):
        self.seen_keys: list[tuple] = []
        a_codes = {v["assessment_code"] for _, v in rows}
        o_codes = {v["org_code"] for _, v in rows}
        self.assessments = {
            a.code: a
            for a in linkable(self.user, Score, "assessment")
            .filter(code__in=a_codes)
            .select_related("organizer", "indicator_set")
        }
        # Only what the API may link (core.links): out of reach answers like unknown.
        allowed = linkable(self.user, Score, "organization")
        self.orgs = {o.code: o for o in allowed.filter(code__in=o_codes)}
        self.indicators = {
            (i.indicator_set_id, i.code): i
            for i in Indicator.objects.filter(
                indicator_set__in=[a.indicator_set_id for a in self.assessments.values()]
            )
        }
        self.existing = {
            (s.assessment.code, s.organization.code, s.indicator.code): s
            for s in Score.objects.filter(
                assessment__code__in=a_codes, organization__code__in=o_codes
            ).select_related("assessment", "organization", "indicator")
        }

    def build(self, row: int, values: dict[str, Any]) -> Score:
        assessment = self.assessments.get(values["assessment_code"])
        organization = self.orgs.get(values["org_code"])
        problems = []
        if assessment is None:
            problems.append(("考核编码", f"考核“{values['assessment_code']}”不存在。"))
        if organization is None:
            problems.append(("组织编码", f"组织“{values['org_code']}”不存在。"))
        if problems:
            raise RowInvalid(problems)
        indicator = self.indicators.get((assessment.indicator_set_id, values["indicator_code"]))
        if indicator is None:
            raise RowInvalid(
                [("条目编码", f"条目“{values['indicator_code']}”不在该考核的指标体系中。")]
            )
        errors = score_errors(
            actor=self.user,
            assessment=assessment,
            organization=organization,
            indicator=indicator,
            value=values["value"],
        )
        if errors:
            raise RowInvalid([(FIELD_HEADERS.get(f, f), m) for f, m in errors])
        score = self.existing.get(values["key"]) or Score(
            assessment=assessment, organization=organization, indicator=indicator
        )
        self.seen_keys.append(values["key"])
        score.value = values["value"]
        score.evidence = values.get("evidence", "")
        score.source = IndicatorSource.MANUAL
        score.scored_by = self.user if getattr(self.user, "pk", None) else None
        return score

    def clean_instance(self, obj: Score) -> None:
        obj.full_clean(validate_unique=False, validate_constraints=False)

    def save(self, new, changed):
        if new:
            Score.objects.bulk_create(new, batch_size=self.batch_size)
        if changed:
            Score.objects.bulk_update(
                changed, ["value", "evidence", "source", "scored_by"], batch_size=self.batch_size
            )

    def after_save(self, result: ImportResult) -> None:
        per_assessment: dict[str, int] = defaultdict(int)
        for key in self.seen_keys:
            per_assessment[key[0]] += 1
        for code, count in per_assessment.items():
            assessment = self.assessments[code]
            audit(
                actor=self.user,
                action="assessment.score_import",
                target=assessment,
                organization=assessment.organizer,
                detail={"scores": count, "created": result.created, "updated": result.updated},
            )

    def export_queryset(self, queryset):
        return queryset.select_related("assessment", "organization", "indicator")

    def preview_row(self, row, obj):
        return {
            "row": row,
            "action": "新增" if obj._state.adding else "更新",
            "key": f"{obj.organization.code} / {obj.indicator.code}",
            "label": f"{obj.organization} {obj.value}",
        }


class ResultExporter(BaseImporter):
    """Results export only (results are computed by the roll-up, never imported)."""

    model = Result
    title = "考核结果"
    sheet_name = "考核结果"
    columns = [
        Column("assessment", "考核", export=lambda r: r.assessment.name),
        Column("org_code", "组织编码", export=lambda r: r.organization.code),
        Column("org_name", "组织名称", export=lambda r: r.organization.name),
        Column("kind", "组织类型", export=lambda r: _kind_label(r.kind)),
        Column("top_down", "上考得分", export=lambda r: _num(r.top_down)),
        Column("bottom_up", "下评满意度", export=lambda r: _num(r.bottom_up)),
        Column("own_score", "本级综合得分", export=lambda r: _num(r.own_score)),
        Column("subtree_count", "含下级被考核组织数"),
        Column("subtree_average", "含下级平均分", export=lambda r: _num(r.subtree_average)),
        Column("rank", "同类排名"),
        Column("rank_of", "同类参评数"),
    ]

    def build(self, row, values):
        raise RowInvalid([("", "考核结果由汇总计算生成，不能导入。")])

    def export_queryset(self, queryset):
        return queryset.select_related("assessment", "organization")


def _num(value: Decimal | None):
    return None if value is None else round(float(value), 2)


def _kind_label(kind: str) -> str:
    from organizations.choices import OrgKind

    return OrgKind(kind).label if kind in OrgKind.values else kind
