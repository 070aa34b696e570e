"""共建协议 and 项目清单 files (issue 13 item 5): drafts and matches are created through their
services, plain fields of a draft / a project are edited, workflow columns (状态, 签订、终止)
and signed agreements are refused with a row error, check-only name columns are ignored, and
both are wired to the admin and API import routes."""

import io

import openpyxl
import pytest
from django.urls import reverse

from core.models import AuditLog
from covenants.choices import AgreementStatus, MatchStatus, NeedStatus
from covenants.importers import AgreementImporter, ProjectImporter
from covenants.models import Agreement, Project
from tests.core.files import xlsx_bytes
from tests.covenants.factories import AgreementFactory, NeedFactory, ResourceFactory

pytestmark = pytest.mark.django_db

AG_HEADER = ["协议编号", "协议标题", "甲方编码", "乙方单位编码", "期限起", "期限止", "状态"]
PJ_HEADER = ["项目编码", "项目名称", "所属社区编码", "需求编码", "资源编码", "状态", "开始日期"]


def export_rows(importer, queryset) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(importer.export(queryset, "xlsx"))).worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def as_file(rows, sheet) -> bytes:
    return xlsx_bytes([["" if v is None else v for v in row] for row in rows], sheet)


@pytest.mark.parametrize("importer_class", [AgreementImporter, ProjectImporter])
def test_template_explains_every_column(users, importer_class):
    book = openpyxl.load_workbook(io.BytesIO(importer_class(users["cadre_a"]).template()))
    assert book.sheetnames[1] == "填写说明"
    notes = [row[0].value for row in book["填写说明"].iter_rows(min_row=2) if row[0].value]
    assert set(c.header for c in importer_class.columns) <= set(notes)
    validations = book.worksheets[0].data_validations.dataValidation
    assert any("草稿" in v.formula1 or "拟实施" in v.formula1 for v in validations)


def test_new_rows_are_drafts_with_the_template_clauses(tree, units, users):
    rows = [
        AG_HEADER,
        ["AG-NEW", "", "A", "UA", "2027-01-01", "2027-12-31", ""],
        ["AG-SIGNED", "", "A", "UA", "2027-01-01", "2027-12-31", "已签订"],
    ]
    importer = AgreementImporter(users["cadre_a"])
    result = importer.run(as_file(rows, "共建协议"), "a.xlsx", dry_run=False)
    assert [str(e) for e in result.errors] == [
        "第 3 行 状态: 新增的协议为草稿：状态留空或填“草稿”，签订、终止日期和终止原因留空，"
        "签订请在系统中办理。"
    ]
    assert not Agreement.objects.exists()
    result = AgreementImporter(users["cadre_a"]).run(
        as_file(rows[:2], "共建协议"), "a.xlsx", dry_run=False
    )
    assert result.committed and result.created == 1, [str(e) for e in result.errors]
    agreement = Agreement.objects.get(code="AG-NEW")
    assert agreement.status == AgreementStatus.DRAFT and agreement.clauses.count() >= 1
    assert AuditLog.objects.filter(action="agreement.draft").count() == 1


def test_out_of_scope_party_and_unit_are_not_found(tree, units, users):
    rows = [AG_HEADER, ["AG-X", "", "B", "UB", "2027-01-01", "2027-12-31", ""]]
    result = AgreementImporter(users["cadre_a"]).run(as_file(rows, "共建协议"), "a.xlsx")
    assert [str(e) for e in result.errors] == [
        "第 2 行 甲方编码: 找不到组织“B”。",
        "第 2 行 乙方单位编码: 找不到单位“UB”。",
    ]


def test_draft_edited_signed_and_workflow_columns_refused(tree, units, users):
    draft = AgreementFactory(
        code="AG-D", party_a=tree["community_a"], unit=units["a"], status="draft", signed_on=None
    )
    AgreementFactory(code="AG-S", party_a=tree["community_a"], unit=units["shared"])
    importer = AgreementImporter(users["cadre_a"])
    rows = export_rows(importer, Agreement.objects.order_by("code"))
    header = rows[0]
    title, name, status = header.index("协议标题"), header.index("甲方"), header.index("状态")
    signed_title = rows[2][title]
    rows[1][title] = "园林小学共建协议（修订）"  # AG-D, the draft
    rows[1][name] = "随手改的名称"  # check-only: ignored
    rows[2][title] = "改已签订的协议"  # AG-S, signed
    result = AgreementImporter(users["cadre_a"]).run(as_file(rows, "共建协议"), "a.xlsx")
    assert [e.row for e in result.errors] == [3]
    assert "已签订，不能修改；如需变更请终止后重新签订" in str(result.errors[0])
    rows[2][title] = signed_title
    rows[1][status] = "已签订"
    result = AgreementImporter(users["cadre_a"]).run(as_file(rows, "共建协议"), "a.xlsx")
    assert [e.row for e in result.errors] == [2]
    assert "状态由协议的签订、终止流程维护" in str(result.errors[0])
    rows[1][status] = "草稿"
    result = AgreementImporter(users["cadre_a"]).run(
        as_file(rows, "共建协议"), "a.xlsx", dry_run=False
    )
    assert result.committed and (result.updated, result.unchanged) == (1, 1)
    assert result.changes[0]["fields"] == [
        {"column": "协议标题", "old": draft.title, "new": "园林小学共建协议（修订）"}
    ]
    draft.refresh_from_db()
    assert draft.title == "园林小学共建协议（修订）"
    assert AuditLog.objects.filter(action="agreement.update").count() == 1


@pytest.fixture
def lists(tree, units):
    return {
        "need": NeedFactory(code="N-A", organization=tree["community_a"]),
        "closed": NeedFactory(code="N-C", organization=tree["community_a"], status="closed"),
        "res": ResourceFactory(code="R-A", unit=units["a"], organization=tree["community_a"]),
        "need_b": NeedFactory(code="N-B", organization=tree["community_b"]),
    }


def test_project_rows_match_needs_and_edit_plain_fields(tree, users, lists):
    rows = [
        PJ_HEADER,
        ["XM-1", "课后托管", "A", "N-A", "R-A", "", "2026-03-01"],
        ["XM-2", "关了的", "A", "N-C", "R-A", "", ""],
        ["XM-3", "别人的", "A", "N-B", "R-A", "", ""],
        ["XM-4", "直接完成", "A", "N-A", "R-A", "已完成", ""],
    ]
    result = ProjectImporter(users["cadre_a"]).run(as_file(rows, "项目清单"), "p.xlsx")
    assert [str(e) for e in result.errors] == [
        f"第 3 行 需求编码: 需求“{lists['closed']}”已关闭。",
        "第 4 行 需求编码: 找不到需求“N-B”。",
        "第 5 行 状态: 新增的项目为拟实施（留空即可），状态在系统中更改。",
    ]
    result = ProjectImporter(users["cadre_a"]).run(
        as_file(rows[:2], "项目清单"), "p.xlsx", dry_run=False
    )
    assert result.committed and result.created == 1
    project = Project.objects.get(code="XM-1")
    assert project.status == MatchStatus.PLANNED
    lists["need"].refresh_from_db()
    assert lists["need"].status == NeedStatus.MATCHED  # as project_match does

    importer = ProjectImporter(users["cadre_a"])
    exported = export_rows(importer, Project.objects.all())
    header = exported[0]
    exported[1][header.index("项目名称")] = "课后托管（二期）"
    exported[1][header.index("资源")] = "核对列，忽略"
    result = ProjectImporter(users["cadre_a"]).run(
        as_file(exported, "项目清单"), "p.xlsx", dry_run=False
    )
    assert result.committed and result.updated == 1, [str(e) for e in result.errors]
    project.refresh_from_db()
    assert project.title == "课后托管（二期）"
    exported[1][header.index("状态")] = "已完成"
    result = ProjectImporter(users["cadre_a"]).run(as_file(exported, "项目清单"), "p.xlsx")
    assert "项目状态由项目流程维护" in str(result.errors[0])


def test_admin_and_api_import_routes(tree, units, users, api, admin_client_for):
    rows = [AG_HEADER, ["AG-API", "", "A", "UA", "2027-01-01", "2027-12-31", ""]]
    data = as_file(rows, "共建协议")
    upload = io.BytesIO(data)
    upload.name = "a.xlsx"
    response = api(users["cadre_a"]).post(
        "/api/v1/agreements/import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1 and not Agreement.objects.exists()
    page = admin_client_for(users["cadre_a"]).get(reverse("admin:covenants_agreement_import"))
    assert page.status_code == 200
    template = admin_client_for(users["cadre_a"]).get(
        reverse("admin:covenants_project_import_template")
    )
    assert template.status_code == 200
