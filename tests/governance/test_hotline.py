"""接诉即办 figures against a hand-computed month; admin report, API, XLSX, dashboard, queries."""

import datetime as dt
import io

import openpyxl
import pytest

from governance.hotline import hotline_figures
from grids.models import Department
from tests.governance.test_digest import make_case
from tests.grids.factories import GridFactory

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
MARCH = dt.date(2026, 3, 1)


def at(day, hour=10, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SH)


@pytest.fixture
def month(tree):
    """Seven cases; the figures below are worked out by hand in the comments."""
    ga1 = GridFactory(code="GA1", name="园林一网格", community=tree["community_a"])
    ga2 = GridFactory(code="GA2", name="园林二网格", community=tree["community_a"])
    gb1 = GridFactory(code="GB1", name="胜利一网格", community=tree["community_b"])
    a, b = tree["community_a"], tree["community_b"]
    cg = Department.objects.create(code="CG", name="区城管执法局", street=tree["street"])
    h = dt.timedelta(hours=1)
    # A/GA1: accepted after 2 h (in time), resolved, rated 5
    make_case(a, code="H1", grid=ga1, reported_at=at(2), due=at(9), accepted_at=at(2) + 2 * h,
              status="evaluated", satisfaction=5)  # fmt: skip
    # A/GA1: accepted after 30 h (late), still dispatched
    make_case(a, code="H2", grid=ga1, reported_at=at(5), due=at(12),
              accepted_at=at(5) + 30 * h, status="dispatched")  # fmt: skip
    # A/GA2: whistle acknowledged in time, resolved, rated 3, reopened once
    make_case(a, code="H3", grid=ga2, reported_at=at(10), due=at(17), accepted_at=at(10),
              status="evaluated", satisfaction=3, reopen_count=1, dispatch_kind="department",
              department=cg, ack_due_at=at(11), acknowledged_at=at(10) + 2 * h)  # fmt: skip
    # A/GA2: whistle on 31 March 23:30 Shanghai (15:30 UTC), never acknowledged
    make_case(a, code="H4", grid=ga2, reported_at=at(31, 23, 30), due=at(31, 23, 59),
              accepted_at=at(31, 23, 40), status="dispatched", dispatch_kind="department",
              department=cg, ack_due_at=at(31, 23, 50))  # fmt: skip
    # 1 April 00:30 Shanghai = 31 March 16:30 UTC: April's, not March's
    make_case(a, code="H5", grid=ga2, reported_at=dt.datetime(2026, 4, 1, 0, 30, tzinfo=SH),
              due=at(31), status="reported")  # fmt: skip
    # B/GB1: accepted in time, resolved, rated 4
    make_case(b, code="H6", grid=gb1, reported_at=at(3), due=at(10), accepted_at=at(3) + h,
              status="resolved", satisfaction=4)  # fmt: skip
    # B/GB1: never accepted
    make_case(b, code="H7", grid=gb1, reported_at=at(4), due=at(11))
    return {"ga1": ga1, "ga2": ga2, "gb1": gb1}


def figures(user, level):
    return {r.code: r.as_dict() for r in hotline_figures(user, MARCH, level)}


def pick(row, *keys):
    return tuple(row[k] for k in keys)


RATES = ("cases", "response_rate", "resolution_rate", "satisfaction_rate", "reopen_rate", "score",
         "rank")  # fmt: skip


def test_community_figures_and_ranking_by_hand(month, users):
    rows = figures(users["street"], "community")
    # A: 4 cases; responded H1, H3; resolved H1, H3; rated 2, satisfied 1; reopened 1
    #    score = .1*50 + .45*50 + .45*50 = 50
    assert pick(rows["A"], *RATES) == (4, 50.0, 50.0, 50.0, 25.0, 50.0, 2)
    # B: 2 cases; responded 1, resolved 1, rated 1 satisfied 1 → 5 + 22.5 + 45 = 72.5
    assert pick(rows["B"], *RATES) == (2, 50.0, 50.0, 100.0, 0.0, 72.5, 1)


def test_street_department_and_grid_levels_by_hand(month, users):
    street = figures(users["street"], "street")["S"]
    # 6 cases, 3 responded, 3 resolved, 2 of 3 satisfied, 1 reopened: 5 + 22.5 + 30 = 57.5
    assert pick(street, *RATES) == (6, 50.0, 50.0, 66.7, 16.7, 57.5, 1)
    department = figures(users["street"], "department")
    assert list(department) == ["CG"]
    assert department["CG"]["name"] == "区城管执法局"
    assert pick(department["CG"], *RATES) == (2, 50.0, 50.0, 0.0, 50.0, 27.5, 1)
    grids = figures(users["street"], "grid")
    assert pick(grids["GA1"], *RATES) == (2, 50.0, 50.0, 100.0, 0.0, 72.5, 1)
    assert pick(grids["GB1"], *RATES) == (2, 50.0, 50.0, 100.0, 0.0, 72.5, 1)  # a tie shares 1
    assert pick(grids["GA2"], *RATES) == (2, 50.0, 50.0, 0.0, 50.0, 27.5, 3)


def test_scope_and_an_empty_month(month, users):
    rows = figures(users["cadre_a"], "community")
    assert list(rows) == ["A"] and rows["A"]["rank"] == 1
    assert hotline_figures(users["street"], dt.date(2026, 1, 1), "community") == []
    april = {r.code: r for r in hotline_figures(users["street"], dt.date(2026, 4, 1), "grid")}
    assert april["GA2"].cases == 1 and april["GA2"].score == 0.0  # reported, nothing done


def test_constant_query_count(month, users, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts():
        found = {}
        for level in ("community", "street", "grid", "department"):
            with CaptureQueriesContext(connection) as ctx:
                hotline_figures(users["street"], MARCH, level)
            found[level] = len(ctx.captured_queries)
        return found

    hotline_figures(users["street"], MARCH, "community")  # the user's scope, read once
    before = counts()
    # one grouped aggregate + the names of the level's rows (departments: none needed)
    assert before == {"community": 2, "street": 2, "grid": 2, "department": 1}
    for n in range(30):
        make_case(tree["community_b"], code=f"HX{n}", grid=month["gb1"], reported_at=at(6),
                  due=at(9))  # fmt: skip
    assert counts() == before


def test_api_json_xlsx_and_bad_input(month, users, api):
    client = api(users["street"])
    response = client.get("/api/v1/governance/hotline-figures/?month=2026-03&level=street")
    assert response.status_code == 200
    assert response.json()["rows"][0]["satisfaction_rate"] == 66.7
    response = client.get(
        "/api/v1/governance/hotline-figures/?month=2026-03&level=community&file_format=xlsx"
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][:4] == ("排名", "名称", "编码", "诉求（件）")
    assert [v[2] for v in values[1:]] == ["B", "A"]
    for query in ("month=2026-13", "month=march", "level=city"):
        response = client.get(f"/api/v1/governance/hotline-figures/?{query}")
        assert response.status_code == 400, query
        assert response.json()["errors"]
    assert api(None).get("/api/v1/governance/hotline-figures/").status_code in (401, 403)


def test_admin_report_chart_table_drill_down(month, users, admin_client_for):
    client = admin_client_for(users["street"])
    page = client.get("/admin/reports/hotline/?month=2026-03&level=community")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "72.5" in html and "园林社区大党委" in html
    drill = f"community__id__exact={month['ga1'].community_id}"
    assert drill in html and "reported_at__gte=2026-03-01" in html
    listed = client.get(
        f"/admin/grids/case/?{drill}&reported_at__gte=2026-03-01&reported_at__lt=2026-04-01"
    )
    assert listed.status_code == 200
    body = listed.content.decode()
    assert "H1" in body or "4 条" in body or "4 民情诉求" in body
    xlsx = client.get("/admin/reports/hotline/?month=2026-03&level=grid&file_format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    dashboard = client.get("/admin/dashboard/").content.decode()
    assert "接诉即办" in dashboard


def test_report_needs_case_permission(month, users, tree, admin_client_for):
    from tests.conftest import make_user

    nobody = make_user("nobody", scope=[tree["street"]])
    assert admin_client_for(nobody).get("/admin/reports/hotline/").status_code == 403
