"""Separate report lists fed by other apps' records: members' democratic appraisal
(organizations.Appraisal) and units' assessment (covenants.UnitAssessment)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    source: str  # "app_label.ModelName"
    selector: str  # "module:function" (user -> queryset)
    columns: list[tuple[str, Callable[[Any], Any]]]
    grade_label: Callable[[Any], str]
    admin_list: str

    @property
    def available(self) -> bool:
        try:
            apps.get_model(self.source)
        except (LookupError, ValueError):
            return False
        return True

    def queryset(self, user, year: int | None):
        module, _, name = self.selector.partition(":")
        queryset = getattr(import_module(module), name)(user)
        if year:
            queryset = queryset.filter(year=year)
        return queryset

    def years(self, user) -> list[int]:
        return sorted(
            set(self.queryset(user, None).values_list("year", flat=True).order_by()),
            reverse=True,
        )

    def table(self, user, year: int | None) -> tuple[list[list[Any]], list[tuple[str, int]]]:
        rows, grades = [], Counter()
        for obj in self.queryset(user, year):
            rows.append([accessor(obj) for _, accessor in self.columns])
            grades[self.grade_label(obj)] += 1
        return rows, sorted(grades.items(), key=lambda kv: -kv[1])


def _display(obj, name: str) -> str:
    return getattr(obj, f"get_{name}_display")() if getattr(obj, name) else "未评定"


REPORTS: dict[str, Report] = {
    "appraisal": Report(
        key="appraisal",
        title="党员民主评议",
        source="organizations.Appraisal",
        selector="organizations.selectors:appraisals_visible_to",
        columns=[
            ("年度", lambda a: a.year),
            ("党员", lambda a: a.member.name),
            ("所在支部", lambda a: str(a.member.branch) if a.member.branch_id else ""),
            ("工作单位", lambda a: str(a.member.work_unit) if a.member.work_unit_id else ""),
            ("报到社区", lambda a: str(a.feedback_community) if a.feedback_community_id else ""),
            ("社区反馈等次", lambda a: _display(a, "feedback_grade")),
            ("年度服务时长（小时）", lambda a: a.feedback_hours),
            ("民主评议结果", lambda a: _display(a, "grade")),
            ("可参加评先评优", lambda a: a.award_eligible),
        ],
        grade_label=lambda a: _display(a, "grade"),
        admin_list="organizations_appraisal_changelist",
    ),
    "units": Report(
        key="units",
        title="驻区单位考核",
        source="covenants.UnitAssessment",
        selector="covenants.selectors:assessments_visible_to",
        columns=[
            ("年度", lambda u: u.year),
            ("单位", lambda u: str(u.unit)),
            ("评定社区/街道", lambda u: str(u.organization)),
            ("活动次数", lambda u: u.activity_count),
            ("其中走访慰问", lambda u: u.handout_count),
            ("有联系的月数", lambda u: u.contact_months),
            (
                "联席会出席",
                lambda u: (
                    f"{u.meetings_attended}/{u.meetings_held}"
                    if u.meetings_held is not None
                    else ""
                ),
            ),
            ("得分", lambda u: u.score),
            ("等次", lambda u: u.get_grade_display()),
        ],
        grade_label=lambda u: u.get_grade_display(),
        admin_list="covenants_unitassessment_changelist",
    ),
}
