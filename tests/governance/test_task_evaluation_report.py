"""上考下评 report: two-way evaluations per community and per department for a period."""

import datetime as dt
import io

import openpyxl
import pytest

from governance.evaluations import evaluation_report
from governance.models import Evaluation
from governance.services import task_dispatch
from tests.covenants.factories import PartnerUnitFactory

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))
FIRST, LAST = dt.date(2026, 3, 1), dt.date(2026, 3, 31)


def evaluate(task, side, rating, when, author):
    e = Evaluation.objects.create(task=task, side=side, rating=rating, author=author)
    Evaluation.objects.filter(pk=e.pk).update(created_at=when)


@pytest.fixture
def evaluated(users, tree):
    street = users["street"]

    def dispatch(title, assignee):
        return task_dispatch(
            actor=street,
            organization=tree["street"],
            title=title,
            assignee=assignee,
            deadline=dt.date(2026, 3, 31),
        )

    t1 = dispatch("A 社区任务", tree["community_a"])
    t2 = dispatch("B 支部任务", tree["branch_b"])
    unit = PartnerUnitFactory(organization=tree["street"], name="供电公司")
    t3 = dispatch("单位任务", unit)
    t4 = dispatch("二月的任务", tree["community_a"])
    march = dt.datetime(2026, 3, 15, 10, tzinfo=SH)
    evaluate(t1, "assigner", 4, march, street)
    evaluate(t1, "assignee", 2, march, users["cadre_a"])
    evaluate(t2, "assigner", 5, march, street)
    evaluate(t3, "assigner", 1, march, street)
    evaluate(t3, "assignee", 5, march, street)
    # 31 March 23:30 Shanghai counts in March; 1 April 00:10 Shanghai does not
    evaluate(t4, "assigner", 3, dt.datetime(2026, 3, 31, 23, 30, tzinfo=SH), street)
    evaluate(t4, "assignee", 1, dt.datetime(2026, 4, 1, 0, 10, tzinfo=SH), users["cadre_a"])
    return {"unit": unit}


def rows(user, by):
    return {r.name: r.as_dict() for r in evaluation_report(user, FIRST, LAST, by)}


def test_per_community_by_hand(evaluated, users):
    found = rows(users["street"], "community")
    a = found["园林社区大党委"]
    # t1 (4 / 2) and t4 (3 in March; its 下评 fell in April)
    assert (a["tasks"], a["upper_count"], a["upper_average"], a["upper_low"]) == (2, 2, 3.5, 0)
    assert (a["lower_count"], a["lower_average"], a["lower_low"]) == (1, 2.0, 1)
    b = found["胜利社区大党委"]  # a task to B's branch counts for community B
    assert (b["tasks"], b["upper_count"], b["upper_average"], b["lower_count"]) == (1, 1, 5.0, 0)
    assert b["lower_average"] is None
    assert set(found) == {"园林社区大党委", "胜利社区大党委"}


def test_per_department_and_scope(evaluated, users):
    found = rows(users["street"], "department")
    assert list(found) == ["供电公司"]
    unit = found["供电公司"]
    assert (unit["kind"], unit["upper_average"], unit["upper_low"], unit["lower_average"]) == (
        "共驻共建单位",
        1.0,
        1,
        5.0,
    )
    assert set(rows(users["cadre_a"], "community")) == {"园林社区大党委"}
    assert rows(users["cadre_b"], "department") == {}


def test_report_query_count_is_constant(evaluated, users, django_assert_num_queries):
    evaluation_report(users["street"], FIRST, LAST, "community")
    with django_assert_num_queries(2):  # the grouped evaluations + the tree
        evaluation_report(users["street"], FIRST, LAST, "community")
    with django_assert_num_queries(1):
        evaluation_report(users["street"], FIRST, LAST, "department")


def test_api_admin_and_xlsx(evaluated, users, api, admin_client_for):
    client = api(users["street"])
    url = "/api/v1/governance/task-evaluations/?start=2026-03-01&end=2026-03-31"
    data = client.get(url + "&by=community").json()
    assert {r["name"]: r["upper_average"] for r in data["rows"]} == {
        "园林社区大党委": 3.5,
        "胜利社区大党委": 5.0,
    }
    response = client.get(url + "&by=department&file_format=xlsx")
    sheet = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert sheet[0][0] == "承办方" and sheet[1][0] == "供电公司"
    assert client.get(url + "&by=city").status_code == 400
    assert (
        client.get(
            "/api/v1/governance/task-evaluations/?start=2026-03-31&end=2026-03-01"
        ).status_code
        == 400
    )
    page = admin_client_for(users["street"]).get(
        "/admin/reports/task-evaluations/?start=2026-03-01&end=2026-03-31&by=community"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "上考平均分" in html and "园林社区大党委" in html and "<svg" in html
    xlsx = admin_client_for(users["street"]).get(
        "/admin/reports/task-evaluations/?start=2026-03-01&end=2026-03-31&file_format=xlsx"
    )
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
