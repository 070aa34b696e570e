"""上考下评 report: the two-way task evaluations aggregated per community and per department for
a period. Two queries whatever the number of tasks (one grouped aggregate over the
evaluations, the organisation tree's communities and parents).

A row is the **assignee** being judged: 上考 = the dispatcher's rating of the work
(``side=assigner``), 下评 = the assignee's rating of the request's clarity and support
(``side=assignee``) — so a row also says how the dispatchers treated that assignee.
Evaluations count in the period their ``created_at`` (Asia/Shanghai) falls in; only tasks the user
sees (either side in scope).

- ``by=community``: tasks whose assignee lies in a community (the community itself or a node below
  it: branches, building groups, a person assigned there), grouped by that community.
- ``by=department``: tasks whose assignee is not an organisation node — a department (the desk
  branch's ``grids.Department`` once merged), partner unit, volunteer team, grid or person —
  grouped by the assignee record (type + id), named by its label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db.models import Count, Q, Sum

from governance.choices import EvaluationSide
from governance.models import Evaluation, Task

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUMMED = (
    "tasks", "upper_count", "upper_sum", "upper_low", "lower_count", "lower_sum", "lower_low",
)  # fmt: skip
GROUPINGS = {"community": "社区", "department": "部门及其他承办方"}


@dataclass
class EvaluationRow:
    key: str
    name: str
    kind: str
    tasks: int = 0
    upper_count: int = 0  # 上考: the dispatcher rated the work
    upper_sum: int = 0
    upper_low: int = 0  # rated 1–2
    lower_count: int = 0  # 下评: the assignee rated the request
    lower_sum: int = 0
    lower_low: int = 0

    @property
    def upper_average(self) -> float | None:
        return round(self.upper_sum / self.upper_count, 2) if self.upper_count else None

    @property
    def lower_average(self) -> float | None:
        return round(self.lower_sum / self.lower_count, 2) if self.lower_count else None

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "kind": self.kind,
            "tasks": self.tasks,
            "upper_count": self.upper_count,
            "upper_average": self.upper_average,
            "upper_low": self.upper_low,
            "lower_count": self.lower_count,
            "lower_average": self.lower_average,
            "lower_low": self.lower_low,
        }


HEADERS = [
    ("name", "承办方"),
    ("kind", "类型"),
    ("tasks", "评价涉及派单"),
    ("upper_count", "上考（派单方评价）条数"),
    ("upper_average", "上考平均分"),
    ("upper_low", "上考 1–2 分"),
    ("lower_count", "下评（承办方评价）条数"),
    ("lower_average", "下评平均分"),
    ("lower_low", "下评 1–2 分"),
]


def period_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime(first.year, first.month, first.day, tzinfo=SHANGHAI)
    end = datetime(last.year, last.month, last.day, tzinfo=SHANGHAI) + timedelta(days=1)
    return start, end


def evaluation_report(user, first: date, last: date, by: str = "community") -> list:
    if by not in GROUPINGS:
        raise ValueError(f"by 应为 {'/'.join(GROUPINGS)}。")
    Organization = apps.get_model("organizations", "Organization")
    start, end = period_bounds(first, last)
    upper = Q(side=EvaluationSide.ASSIGNER)
    groups = list(
        Evaluation.objects.filter(
            task__in=Task.objects.visible_to(user).values("pk"),
            created_at__gte=start,
            created_at__lt=end,
        )
        .values(
            "task__assignee_type__app_label",
            "task__assignee_type__model",
            "task__assignee_id",
            "task__assignee_label",
            "task__assignee_organization_id",
        )
        .annotate(
            tasks=Count("task_id", distinct=True),
            upper_count=Count("pk", filter=upper),
            upper_sum=Sum("rating", filter=upper, default=0),
            upper_low=Count("pk", filter=upper & Q(rating__lte=2)),
            lower_count=Count("pk", filter=~upper),
            lower_sum=Sum("rating", filter=~upper, default=0),
            lower_low=Count("pk", filter=~upper & Q(rating__lte=2)),
        )
        .order_by()
    )
    rows: dict[str, EvaluationRow] = {}
    if by == "community":
        nodes = {
            pk: (parent, kind, code, name)
            for pk, parent, kind, code, name in Organization.objects.values_list(
                "id", "parent_id", "kind", "code", "name"
            )
        }

        def community_of(node):
            while node is not None:
                parent, kind, code, name = nodes[node]
                if kind == "community_committee":
                    return code, name
                node = parent
            return None

    for g in groups:
        label = g["task__assignee_type__app_label"]
        model = g["task__assignee_type__model"]
        is_org = (label, model) == ("organizations", "organization")
        if by == "community":
            found = community_of(g["task__assignee_organization_id"])
            if found is None:
                continue
            key, name, kind = found[0], found[1], "社区"
        else:
            if is_org:
                continue
            key = f"{label}.{model}:{g['task__assignee_id']}"
            name = g["task__assignee_label"]
            kind = _kind_label(label, model)
        row = rows.get(key) or EvaluationRow(key, name, kind)
        rows[key] = row
        for name in SUMMED:
            setattr(row, name, getattr(row, name) + g[name])
    return sorted(rows.values(), key=lambda r: (-(r.upper_average or 0), r.name))


def _kind_label(app_label: str, model: str) -> str:
    try:
        return str(apps.get_model(app_label, model)._meta.verbose_name)
    except LookupError:
        return model


def table(rows: list[EvaluationRow]) -> list[list]:
    return [[getattr(r, key) for key, _ in HEADERS] for r in rows]
