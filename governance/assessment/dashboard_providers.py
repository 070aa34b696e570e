"""The dashboard's figure providers. Each reads one owning app's data in set-based queries."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from governance.assessment.dashboard import (
    Community,
    Panel,
    _ranges_q,
    admin_url,
    bucket,
    pct,
    provider,
    rows_by_org,
    table_panel,
)
from organizations.choices import OrgKind


@provider("compound_branches", "小区党支部覆盖", "organizations.Organization")
def compound_branches(communities: list[Community], user) -> Panel:
    """Compound branches per community and how many have set up building groups."""
    from organizations.models import Organization

    if not communities:
        return Panel("compound_branches", "小区党支部覆盖")
    groups = Organization.objects.filter(parent=OuterRef("pk"), kind=OrgKind.BUILDING_GROUP)
    rows = (
        Organization.objects.filter(_ranges_q(communities, ""), kind=OrgKind.COMPOUND_BRANCH)
        .annotate(has_group=Exists(groups))
        .values_list("tree_id", "lft", "has_group")
    )
    sums = bucket(communities, ((t, lft, (1, 1 if has else 0)) for t, lft, has in rows))
    return table_panel(
        "compound_branches",
        "小区党支部覆盖",
        communities,
        sums,
        ["社区", "小区党支部（个）", "已建楼栋党小组（个）", "楼栋党小组覆盖率（%）"],
        lambda v: [int(v[0]), int(v[1]), pct(v[1], v[0])],
        width=2,
        chart_column=1,
        unit="个",
        drill=lambda c: admin_url(
            "organizations_organization_changelist", f"kind__exact=compound_branch&q={c.code}"
        ),
        drill_all=admin_url("organizations_organization_changelist", "kind__exact=compound_branch"),
    )


@provider("admission", "准入申请", "assessment.AdmissionRequest")
def admission(communities: list[Community], user) -> Panel:
    from governance.assessment.models import AdmissionRequest

    if not communities:
        return Panel("admission", "准入申请")
    queryset = AdmissionRequest.objects.visible_to(user).filter(
        _ranges_q(communities, "community__")
    )
    rows = rows_by_org(
        queryset,
        "community__",
        {
            "n": Count("pk"),
            "approved": Count("pk", filter=Q(status="approved")),
            "refused": Count("pk", filter=Q(status="refused")),
            "community_refused": Count("pk", filter=Q(status="community_refused")),
            "pending": Count("pk", filter=Q(status="pending")),
            "refusable": Count("pk", filter=Q(refusable=True)),
        },
    )
    return table_panel(
        "admission",
        "准入申请",
        communities,
        bucket(communities, rows),
        ["社区", "申请（件）", "准予准入", "街道不予准入", "社区拒绝", "待审批", "人员经费未落实"],
        lambda v: [int(x) for x in v],
        width=6,
        chart_column=1,
        unit="件",
        drill=lambda c: admin_url(
            "assessment_admissionrequest_changelist", f"community__id__exact={c.id}"
        ),
        drill_all=admin_url("assessment_admissionrequest_changelist"),
    )


def _by_id(communities: list[Community]) -> dict[int, Community]:
    return {c.id: c for c in communities}


def _rows_from(communities, values: dict[int, list[float]]) -> dict[int, list[float]]:
    """Keep the owning app's per-community figures for the communities on this dashboard."""
    wanted = _by_id(communities)
    return {pk: v for pk, v in values.items() if pk in wanted}


@provider("six_haves", "小区党支部“六有”达标", "organizations.SixHaves")
def six_haves(communities: list[Community], user) -> Panel:
    from organizations.selectors import six_haves_coverage

    sums = _rows_from(
        communities,
        {o.pk: [o.compounds, o.checked, o.complete] for o in six_haves_coverage(user).only("id")},
    )
    return table_panel(
        "six_haves",
        "小区党支部“六有”达标",
        communities,
        sums,
        ["社区", "小区党支部", "已核查", "六有全部达标", "达标率（%）"],
        lambda v: [int(v[0]), int(v[1]), int(v[2]), pct(v[2], v[0])],
        width=3,
        chart_column=4,
        unit="%",
        drill=lambda c: admin_url(
            "organizations_sixhaves_changelist", f"branch__parent__id__exact={c.id}"
        ),
        drill_all=admin_url("organizations_sixhaves_changelist"),
    )


@provider("registrations", "在职党员双报到与认岗", "organizations.CommunityRegistration")
def registrations(communities: list[Community], user) -> Panel:
    from organizations.selectors import registration_stats

    sums = _rows_from(
        communities,
        {o.pk: [o.registered, o.claiming, o.active] for o in registration_stats(user).only("id")},
    )
    return table_panel(
        "registrations",
        "在职党员双报到与认岗",
        communities,
        sums,
        ["社区", "报到人数", "已认领岗位", "认岗率（%）", "本季度有活动"],
        lambda v: [int(v[0]), int(v[1]), pct(v[1], v[0]), int(v[2])],
        width=3,
        chart_column=3,
        unit="%",
        drill=lambda c: admin_url(
            "organizations_communityregistration_changelist", f"community__id__exact={c.id}"
        ),
        drill_all=admin_url("organizations_communityregistration_changelist"),
        note="认岗率 = 已认领岗位的报到党员 ÷ 报到党员。",
    )


@provider("three_thirds", "大党委“三三制”构成", "organizations.CommitteeSeat")
def three_thirds_panel(communities: list[Community], user) -> Panel:
    from organizations.selectors import three_thirds

    wanted = _by_id(communities)
    sums = {
        row.committee.pk: [row.cadres, row.residents, row.units, 1 if row.balanced else 0]
        for row in three_thirds(user)
        if row.committee.pk in wanted
    }
    return table_panel(
        "three_thirds",
        "大党委“三三制”构成",
        communities,
        sums,
        ["社区", "社区干部", "居民党员", "单位党员", "合计", "三三制均衡（个）"],
        lambda v: [int(v[0]), int(v[1]), int(v[2]), int(v[0] + v[1] + v[2]), int(v[3])],
        width=4,
        chart_column=4,
        unit="席",
        drill=lambda c: admin_url(
            "organizations_committeeseat_changelist", f"committee__id__exact={c.id}"
        ),
        drill_all=admin_url("organizations_committeeseat_changelist"),
    )


@provider("red_property", "红色物业与业委会党的领导", "organizations.Body")
def red_property(communities: list[Community], user) -> Panel:
    from organizations.selectors import needle_coverage

    wanted = _by_id(communities)
    sums = {
        row.organization.pk: [
            row.compounds_with_property,
            row.red_property_compounds,
            row.owners_committees,
            row.party_led_owners_committees,
        ]
        for row in needle_coverage(user)
        if row.organization.pk in wanted
    }
    return table_panel(
        "red_property",
        "红色物业与业委会党的领导",
        communities,
        sums,
        [
            "社区",
            "有物业的小区",
            "红色物业小区",
            "红色物业覆盖率（%）",
            "业委会",
            "党组织领导的业委会",
            "业委会党建覆盖率（%）",
        ],
        lambda v: [int(v[0]), int(v[1]), pct(v[1], v[0]), int(v[2]), int(v[3]), pct(v[3], v[2])],
        width=4,
        chart_column=3,
        unit="%",
        drill=lambda c: admin_url("organizations_body_changelist", f"community__id__exact={c.id}"),
        drill_all=admin_url("organizations_body_changelist"),
    )


@provider("cases", "民情诉求办理（琐事不出网格、小事不出社区）", "grids.Case")
def cases(communities: list[Community], user) -> Panel:
    from django.db.models import Sum

    from grids.choices import DONE_STATUSES, ResolutionLevel
    from grids.selectors import cases_visible_to

    if not communities:
        return Panel("cases", "民情诉求办理")
    done = Q(status__in=DONE_STATUSES)
    rows = rows_by_org(
        cases_visible_to(user).filter(_ranges_q(communities, "community__")),
        "community__",
        {
            "total": Count("pk"),
            "resolved": Count("pk", filter=done),
            "in_grid": Count("pk", filter=done & Q(resolution_level=ResolutionLevel.GRID)),
            "in_community": Count(
                "pk", filter=done & Q(resolution_level=ResolutionLevel.COMMUNITY)
            ),
            "escalated": Count("pk", filter=done & Q(resolution_level=ResolutionLevel.ESCALATED)),
            "on_time": Count("pk", filter=done & Q(resolved_on_time=True)),
            "evaluated": Count("pk", filter=Q(satisfaction__isnull=False)),
            "satisfaction": Sum("satisfaction"),
        },
    )
    return table_panel(
        "cases",
        "民情诉求办理（琐事不出网格、小事不出社区）",
        communities,
        bucket(communities, rows),
        [
            "社区",
            "诉求（件）",
            "已办结",
            "网格内解决（%）",
            "社区内解决（%）",
            "上报街道部门（%）",
            "按时办结率（%）",
            "平均满意度",
        ],
        lambda v: [
            int(v[0]),
            int(v[1]),
            pct(v[2], v[1]),
            pct(v[3], v[1]),
            pct(v[4], v[1]),
            pct(v[5], v[1]),
            round(v[7] / v[6], 2) if v[6] else None,
        ],
        width=8,
        chart_column=6,
        unit="%",
        drill=lambda c: admin_url("grids_case_changelist", f"community__id__exact={c.id}"),
        drill_all=admin_url("grids_case_changelist"),
        note="比例以已办结诉求为分母；满意度为居民评价的平均分。",
    )


@provider("volunteers", "志愿者与服务时长", "volunteers.Volunteer")
def volunteers(communities: list[Community], user) -> Panel:
    from volunteers.selectors import volunteer_figures_by_community

    wanted = {c.code: c for c in communities}
    figures = volunteer_figures_by_community(user)
    by_code = {row["organization"]: row for row in figures["communities"]}
    sums = {
        c.id: [
            by_code[c.code]["registered_volunteers"],
            by_code[c.code]["active_volunteers_90d"],
            float(by_code[c.code]["hours_this_year"]),
            by_code[c.code]["activities_held"],
            by_code[c.code]["wishes_fulfilled"],
        ]
        for c in wanted.values()
        if c.code in by_code
    }
    return table_panel(
        "volunteers",
        f"志愿者与服务时长（{figures['year']}年）",
        communities,
        sums,
        ["社区", "注册志愿者", "近90天活跃", "本年服务时长（小时）", "开展活动", "实现微心愿"],
        lambda v: [int(v[0]), int(v[1]), round(v[2], 1), int(v[3]), int(v[4])],
        width=5,
        chart_column=3,
        unit="小时",
        drill=lambda c: admin_url("volunteers_volunteer_changelist", f"q={c.code}"),
        drill_all=admin_url("volunteers_volunteer_changelist"),
    )


@provider("units", "驻区单位活跃情况", "covenants.PartnerUnit")
def units(communities: list[Community], user) -> Panel:
    from covenants.selectors import unit_activity_table

    table = unit_activity_table(user)
    rows = list(getattr(table, "rows", table))
    total = len(rows)
    inactive = sum(1 for r in rows if r.inactive)
    handouts = sum(r.handouts for r in rows)
    activities = sum(r.activities for r in rows)
    panel = Panel(
        "units",
        "驻区单位活跃情况",
        [
            "范围",
            "共建单位",
            "活跃单位",
            "不活跃单位",
            "活跃率（%）",
            "活动（次）",
            "其中走访慰问（%）",
        ],
        chart_column=2,
        unit="个",
        drill_all=admin_url("covenants_partnerunit_changelist"),
        note="不活跃：近一个月无联系或近一个季度无活动（按共建单位统计，不分社区）。",
    )
    panel.rows = [
        [
            "管辖范围合计",
            total,
            total - inactive,
            inactive,
            pct(total - inactive, total),
            activities,
            pct(handouts, activities),
        ]
    ]
    panel.drill = [panel.drill_all]
    return panel


@provider("meetings", "联席会议按时召开", "governance.MeetingSeries")
def meetings(communities: list[Community], user) -> Panel:
    from datetime import date

    from django.utils import timezone

    from governance.selectors import meeting_compliance

    today = timezone.localdate()
    rows = meeting_compliance(user, date(today.year, 1, 1), today)
    placed = (
        (r.series.body.tree_id, r.series.body.lft, (r.due, r.held_on_time, r.held_late))
        for r in rows
        if r.series.body_id
    )
    return table_panel(
        "meetings",
        f"联席会议按时召开（{today.year}年截至今日）",
        communities,
        bucket(communities, placed),
        ["社区", "应召开（次）", "按时召开", "逾期召开", "未召开", "按时召开率（%）"],
        lambda v: [int(v[0]), int(v[1]), int(v[2]), int(v[0] - v[1] - v[2]), pct(v[1], v[0])],
        width=3,
        chart_column=5,
        unit="%",
        drill=lambda c: admin_url("governance_meeting_changelist", f"q={c.code}"),
        drill_all=admin_url("governance_meeting_changelist"),
    )


@provider("officer_vacancies", "骨干空缺（今日无人在任）", "organizations.Officer")
def officer_vacancies(communities: list[Community], user) -> Panel:
    """Nodes whose required post is empty today (书记 of a 党委 / 党支部, 党小组长, 中心户长),
    buildings without a 楼栋长 and grids without an active 网格长. Three queries."""
    from grids.selectors import grid_vacancy_rows
    from organizations.selectors import node_vacancy_rows

    title = "骨干空缺（今日无人在任）"
    if not communities:
        return Panel("officer_vacancies", title)
    rows = [(t, lft, (*v, 0, 0)) for t, lft, v in node_vacancy_rows(_ranges_q(communities, ""))]
    rows += [
        (t, lft, (0, 0, 0, *v))
        for t, lft, v in grid_vacancy_rows(_ranges_q(communities, "community__"))
    ]
    return table_panel(
        "officer_vacancies",
        title,
        communities,
        bucket(communities, rows),
        ["社区", "书记空缺", "党小组长空缺", "中心户长空缺", "楼栋长空缺", "网格长空缺", "合计"],
        lambda v: [*(int(x) for x in v), int(sum(v))],
        width=5,
        chart_column=6,
        unit="个",
        drill=lambda c: admin_url(
            "organizations_officer_changelist", f"organization__id__exact={c.id}"
        ),
        drill_all=admin_url("organizations_officer_changelist"),
        note="党委、党支部应有书记，楼栋党小组应有党小组长，党员中心户应有中心户长，每栋楼应有楼栋长，"
        "每个网格应有在岗网格长。空缺的党组织清单：GET /api/v1/officers/vacancies/。",
    )


@provider("grid_branches", "支部建在网格上（网格覆盖党组织）", "grids.Grid")
def grid_branches(communities: list[Community], user) -> Panel:
    """Grids and micro-grids per community and how many have no covering branch. One query."""
    from grids.selectors import covering_rows

    title = "支部建在网格上（网格覆盖党组织）"
    if not communities:
        return Panel("grid_branches", title)
    return table_panel(
        "grid_branches",
        title,
        communities,
        bucket(communities, covering_rows(_ranges_q(communities, "community__"))),
        ["社区", "网格和微网格（个）", "未覆盖（个）", "覆盖率（%）"],
        lambda v: [int(v[0]), int(v[1]), pct(v[0] - v[1], v[0])],
        width=2,
        chart_column=2,
        unit="个",
        drill=lambda c: admin_url(
            "grids_grid_changelist", f"covered=no&community__id__exact={c.id}"
        ),
        drill_all=admin_url("grids_grid_changelist", "covered=no"),
    )


@provider("household_size", "户人数与居民登记核对", "grids.Household")
def household_size(communities: list[Community], user) -> Panel:
    """Households whose 户人数 differs from the residents registered in them. One query."""
    from grids.selectors import household_size_rows

    title = "户人数与居民登记核对"
    if not communities:
        return Panel("household_size", title)
    return table_panel(
        "household_size",
        title,
        communities,
        bucket(communities, household_size_rows(_ranges_q(communities, "grid__community__"))),
        ["社区", "户数", "户人数与登记居民不符（户）", "不符比例（%）"],
        lambda v: [int(v[0]), int(v[1]), pct(v[1], v[0])],
        width=2,
        chart_column=2,
        unit="户",
        drill=lambda c: admin_url(
            "grids_household_changelist", f"size_check=off&grid__community__id__exact={c.id}"
        ),
        drill_all=admin_url("grids_household_changelist", "size_check=off"),
    )


@provider("central_households", "党员中心户联系户数（1–5户）", "grids.CentralHouseholdLink")
def central_households(communities: list[Community], user) -> Panel:
    """党员中心户 / 先锋岗 and how many look after 1–5 households (seed 002). One query."""
    from grids.selectors import central_household_rows

    title = "党员中心户联系户数（1–5户）"
    if not communities:
        return Panel("central_households", title)
    return table_panel(
        "central_households",
        title,
        communities,
        bucket(communities, central_household_rows(_ranges_q(communities, ""))),
        ["社区", "中心户（个）", "联系1–5户", "未联系住户", "超过5户", "达标率（%）"],
        lambda v: [int(v[0]), int(v[1]), int(v[2]), int(v[3]), pct(v[1], v[0])],
        width=4,
        chart_column=5,
        unit="%",
        drill_all=admin_url("grids_centralhouseholdlink_changelist"),
        note="每个党员中心户、先锋岗联系 1–5 户为常规（种子文件 002）。",
    )


@provider("hotline", "接诉即办（本月）", "grids.Case")
def hotline(communities: list[Community], user) -> Panel:
    """响应率 / 解决率 / 满意率 / 重办率 and the street's ranking, this month (three queries)."""
    from governance.cadence import shanghai_today
    from governance.hotline import drill_url, hotline_figures

    month = shanghai_today().replace(day=1)
    found = {r.code: r for r in hotline_figures(user, month, "community")}
    rows, drill = [], []
    for c in communities:
        r = found.get(c.code)
        rows.append(
            [
                c.name,
                r.cases if r else 0,
                r.response_rate if r else None,
                r.resolution_rate if r else None,
                r.satisfaction_rate if r else None,
                r.reopen_rate if r else None,
                r.score if r else None,
                r.rank if r else None,
            ]
        )
        drill.append(drill_url(r) if r else None)
    return Panel(
        "hotline",
        f"接诉即办（{month:%Y年%m月}）",
        columns=[
            "社区",
            "诉求（件）",
            "响应率（%）",
            "解决率（%）",
            "满意率（%）",
            "重办率（%）",
            "综合得分",
            "排名",
        ],
        rows=rows,
        chart_column=6,
        unit="%",
        drill=drill,
        drill_all=admin_url("report_hotline"),
        note="综合得分 = 10% 响应率 + 45% 解决率 + 45% 满意率；网格、部门、街道见“接诉即办报表”。",
    )
