"""Key figures shown above a changelist (三三制, duty gaps, coverage, 双报到 rates, counts):
each one set-based query from the selectors, in the user's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from organizations import selectors


@dataclass
class Figures:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""
    empty: str = "暂无数据"


def share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


class FiguresMixin:
    change_list_template = "admin/organizations/change_list_figures.html"

    def figures(self, request) -> Figures | None:
        return None

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["figures"] = self.figures(request)
        return super().changelist_view(request, extra_context)


def member_count_figures(user) -> Figures:
    rows = [
        [o.name, o.get_kind_display(), o.member_total, o.member_direct]
        for o in selectors.member_counts(user)
        if o.kind in ("district_committee", "street_committee", "community_committee")
    ]
    return Figures("党员人数（含全部下级组织）", ["党组织", "类型", "党员总数", "直属党员"], rows)


def registration_figures(user) -> Figures:
    rows = [
        [c.name, c.registered, c.claiming, share(c.claiming, c.registered), c.active]
        for c in selectors.registration_stats(user)
    ]
    return Figures(
        "双报到情况",
        ["社区", "报到人数", "认领岗位人数", "认岗率", "本季度活跃人数"],
        rows,
    )


def three_thirds_figures(user) -> Figures:
    rows = [
        [
            t.committee.name,
            t.cadres,
            t.residents,
            t.units,
            t.total,
            "均衡" if t.balanced else "失衡",
        ]
        for t in selectors.three_thirds(user)
    ]
    return Figures(
        "“三三制”构成（现任）",
        ["党委", "社区干部", "居民党员", "驻区单位党员", "合计", "结论"],
        rows,
        note="每类委员人数在总数三分之一的 ±1 席以内、且三类都有人，为均衡。",
    )


def duty_gap_figures(user, days: int = 14) -> Figures:
    start = date.today()
    gaps = selectors.duty_gaps(user, start=start, end=start + timedelta(days=days - 1))
    weekdays = "一二三四五六日"
    rows = [
        [g.community.name, f"{g.day:%Y-%m-%d}", f"星期{weekdays[g.day.weekday()]}"] for g in gaps
    ]
    return Figures(
        f"未来 {days} 天无下沉党员值班的社区工作日",
        ["社区", "日期", "星期"],
        rows,
        empty="每个社区每个工作日都有人值班。",
    )


def coverage_figures(user) -> Figures:
    rows = [
        [
            r.organization.name,
            r.owners_committees,
            r.party_led_owners_committees,
            share(r.party_led_owners_committees, r.owners_committees),
            r.compounds_with_property,
            r.red_property_compounds,
            share(r.red_property_compounds, r.compounds_with_property),
        ]
        for r in selectors.needle_coverage(user)
    ]
    return Figures(
        "党组织领导业委会与红色物业覆盖",
        ["街道/社区", "业委会", "党组织领导", "覆盖率", "有物业的小区", "红色物业小区", "覆盖率"],
        rows,
    )


def six_haves_figures(user) -> Figures:
    rows = [
        [c.name, c.compounds, c.checked, c.complete, share(c.complete, c.compounds)]
        for c in selectors.six_haves_coverage(user)
    ]
    return Figures("六有达标覆盖", ["社区", "小区党支部", "已核查", "六有齐全", "覆盖率"], rows)
