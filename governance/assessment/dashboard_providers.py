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
