"""共建活动记录 files (issue 13 item 5): the export re-imports unchanged (未变, nothing
written); edited plain columns are written through ``activity_update``; new rows are
recorded through ``activity_record`` (audited); a confirmed activity, a project out of reach,
a date outside the agreement's term are row errors with nothing written; check-only columns
are ignored; the admin and the API import routes accept the file."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog
from covenants.importers import ActivityRecordImporter
from covenants.models import ActivityRecord
from tests.core.files import xlsx_bytes

pytestmark = pytest.mark.django_db

SHEET = "活动记录"


def export_rows(user) -> list[list]:
    importer = ActivityRecordImporter(user)
    content = importer.export(importer.visible_queryset(), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [["" if c.value is None else c.value for c in row] for row in sheet.iter_rows()]


def as_file(rows) -> bytes:
    return xlsx_bytes(rows, SHEET)


def table() -> list[dict]:
    return list(ActivityRecord.objects.order_by("pk").values())


def test_export_edit_reimport_and_unchanged(signed, users):
    user = users["cadre_a"]
    rows = export_rows(user)
    header = rows[0]
    assert {r[header.index("活动编号")] for r in rows[1:]} == {"ACT-a", "ACT-shared_a"}
    before, audits = table(), AuditLog.objects.count()
    result = ActivityRecordImporter(user).run(as_file(rows), "a.xlsx", dry_run=False)
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert table() == before and AuditLog.objects.count() == audits

    row = next(r for r in rows[1:] if r[header.index("活动编号")] == "ACT-a")
    row[header.index("活动主题")] = "周末义诊"
    row[header.index("服务居民人次")] = 42
    row[header.index("单位")] = "随便写的单位名"  # check-only: ignored
    preview = ActivityRecordImporter(user).run(as_file(rows), "a.xlsx")
    assert preview.ok and preview.updated == 1 and preview.unchanged == 1
    assert {f["column"] for f in preview.changes[0]["fields"]} == {"活动主题", "服务居民人次"}
    result = ActivityRecordImporter(user).run(as_file(rows), "a.xlsx", dry_run=False)
    assert result.committed, [str(e) for e in result.errors]
    stored = ActivityRecord.objects.get(code="ACT-a")
    assert (stored.title, stored.residents_served) == ("周末义诊", 42)
    assert (
        ActivityRecord.objects.get(code="ACT-shared_a").title
        == signed["shared_a"]["activity"].title
    )


def test_new_row_is_recorded_through_the_service(signed, users):
    rows = export_rows(users["cadre_a"])
    header = rows[0]
    new = dict(zip(header, rows[1], strict=True))
    new.update(
        {
            "活动编号": "ACT-NEW",
            "认领项目编码": "SP-a",
            "活动日期": "2026-05-20",
            "活动主题": "环境整治",
            "活动方式": "环境整治",
            "单位参与人数": "",
        }
    )
    rows.append([new[h] for h in header])
    result = ActivityRecordImporter(users["cadre_a"]).run(as_file(rows), "a.xlsx", dry_run=False)
    assert result.committed and result.created == 1, [str(e) for e in result.errors]
    created = ActivityRecord.objects.get(code="ACT-NEW")
    assert created.project == signed["a"]["project"] and created.staff_count == 0
    assert AuditLog.objects.filter(action="activity.record").count() == 1


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        ({"认领项目编码": "SP-b"}, "认领项目编码", "找不到认领项目“SP-b”。"),  # B's: out of reach
        ({"认领项目编码": "SP-nope"}, "认领项目编码", "找不到认领项目“SP-nope”。"),
        ({"活动日期": "2027-03-01"}, "活动日期", "不在协议“AG-a”的期限内"),
        ({"活动方式": "跳舞"}, "活动方式", "不是有效选项"),
    ],
)
def test_bad_rows_are_row_errors_and_nothing_is_written(signed, users, change, column, message):
    rows = export_rows(users["cadre_a"])
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("活动编号")] == "ACT-a")
    for name, value in change.items():
        row[header.index(name)] = value
    before = table()
    result = ActivityRecordImporter(users["cadre_a"]).run(as_file(rows), "a.xlsx", dry_run=False)
    assert not result.committed
    assert [e.column for e in result.errors] == [column], [str(e) for e in result.errors]
    assert message in result.errors[0].message
    assert table() == before


def test_a_confirmed_activity_is_not_changed_by_a_file(signed, users):
    activity = signed["a"]["activity"]
    ActivityRecord.objects.filter(pk=activity.pk).update(confirmed_at=timezone.now())
    rows = export_rows(users["cadre_a"])
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("活动编号")] == "ACT-a")
    assert row[header.index("社区已确认")] == "是"
    # Unchanged, it is accepted (未变).
    result = ActivityRecordImporter(users["cadre_a"]).run(as_file(rows), "a.xlsx")
    assert result.ok and result.unchanged == 2
    row[header.index("活动主题")] = "改了"
    before = table()
    result = ActivityRecordImporter(users["cadre_a"]).run(as_file(rows), "a.xlsx", dry_run=False)
    assert not result.committed
    assert "已由社区确认，不能再修改" in str(result.errors[0])
    assert table() == before


def test_admin_and_api_import_routes(signed, users, api, admin_client_for):
    rows = export_rows(users["cadre_a"])
    header = rows[0]
    rows[1][header.index("活动主题")] = "后台导入"
    upload = io.BytesIO(as_file(rows))
    upload.name = "a.xlsx"
    response = api(users["cadre_a"]).post(
        "/api/v1/activities/import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1  # a dry run: nothing written
    assert not ActivityRecord.objects.filter(title="后台导入").exists()
    page = admin_client_for(users["cadre_a"]).get(reverse("admin:covenants_activityrecord_import"))
    assert page.status_code == 200
