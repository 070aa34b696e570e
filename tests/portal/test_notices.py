"""公开信息 shows only what the owning apps mark public."""

from datetime import date

import pytest

from portal.adapters import features
from portal.adapters.notices import available

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not features()["notices"], reason="no public selectors installed"),
]


def page(client, code="A"):
    return client.get("/notices/", {"community": code}).content.decode()


@pytest.mark.skipif(not available()["covenants"], reason="covenants not installed")
def test_only_current_covenant_versions_show(client, tree):
    from covenants.models import Covenant, CovenantVersion

    covenant = Covenant.objects.create(
        code="CV1", organization=tree["branch_a"], kind="residents", title="园林小区居民公约"
    )
    CovenantVersion.objects.create(
        covenant=covenant, number=1, text="旧版条款：禁止乱停车", adopted_on=date(2020, 1, 1)
    )
    CovenantVersion.objects.create(
        covenant=covenant,
        number=2,
        text="现行条款：文明养犬",
        adopted_on=date(2024, 1, 1),
        is_current=True,
    )
    other = Covenant.objects.create(
        code="CV2", organization=tree["branch_b"], kind="residents", title="胜利小区公约"
    )
    CovenantVersion.objects.create(
        covenant=other, number=1, text="胜利条款", adopted_on=date(2024, 1, 1), is_current=True
    )
    html = page(client)
    assert "园林小区居民公约" in html and "现行条款：文明养犬" in html
    assert "旧版条款" not in html and "胜利小区公约" not in html


@pytest.mark.skipif(not available()["disclosures"], reason="disclosures not installed")
def test_only_public_disclosures_show(client, tree):
    from organizations.models import Body, FinancialDisclosure

    body = Body.objects.create(
        community=tree["community_a"], kind="shareholding_company", name="园林股份合作公司"
    )
    common = dict(body=body, period_start=date(2025, 1, 1), period_end=date(2025, 3, 31))
    FinancialDisclosure.objects.create(
        **common,
        period="2025年第1季度",
        title="2025年一季度财务公开",
        income=1000,
        is_public=True,
        published_on=date(2025, 4, 10),
    )
    FinancialDisclosure.objects.create(**common, period="草稿", title="未公开的账目")
    html = page(client)
    assert "2025年一季度财务公开" in html and "园林股份合作公司" in html
    assert "未公开的账目" not in html
    assert "2025年一季度财务公开" not in page(client, "B")


@pytest.mark.skipif(not available()["work_list"], reason="work list not installed")
def test_only_public_work_items_show(client, tree):
    from django.utils import timezone

    from governance.assessment.models import WorkItem, WorkListVersion

    version = WorkListVersion.objects.create(
        code="WL1",
        street=tree["street"],
        title="站前街道社区工作事项清单",
        status="published",
        published_at=timezone.now(),
    )
    WorkItem.objects.create(
        version=version,
        code="WI1",
        seq=1,
        holder="workstation",
        responsibility="lead",
        title="居民最低生活保障初审",
        is_public=True,
    )
    WorkItem.objects.create(
        version=version,
        code="WI2",
        seq=2,
        holder="workstation",
        responsibility="assist",
        title="内部考核事项",
        is_public=False,
    )
    html = page(client)
    assert "居民最低生活保障初审" in html and "内部考核事项" not in html


def test_notices_page_asks_for_a_community(client, tree):
    html = client.get("/notices/").content.decode()
    assert "选择社区" in html and "园林社区" in html and "大党委" not in html


@pytest.mark.skipif(not available()["resolutions"], reason="public resolutions not installed")
def test_only_public_resolutions_show(client, tree, users):
    from governance.services import meeting_hold, meeting_plan, resolution_pass, series_create

    series = series_create(
        actor=users["street"],
        code="A-SF",
        name="园林社区三方联动会议",
        kind="tripartite",
        body=tree["community_a"],
        cadence="monthly",
        starts_on=date(2024, 1, 1),
        convenor=users["cadre_a"],
    )
    meeting = meeting_plan(
        actor=users["cadre_a"], series=series, planned_on=date(2024, 3, 12), agenda=["议题"]
    )
    meeting = meeting_hold(actor=users["cadre_a"], meeting=meeting, held_on=date(2024, 3, 12))
    shown = resolution_pass(
        actor=users["cadre_a"],
        meeting=meeting,
        kind="decide",
        title="加装电梯",
        content="三号楼先行",
    )
    shown.public = True
    shown.save()
    resolution_pass(actor=users["cadre_a"], meeting=meeting, kind="solve", title="内部人事安排")
    html = page(client)
    assert "加装电梯" in html and "三号楼先行" in html and "2024年3月12日" in html
    assert "内部人事安排" not in html
    assert "加装电梯" not in page(client, "B")
