"""The volunteer roster import: codes, scope, every bad row reported, all or nothing, history."""

import pytest

from core.models import AuditLog
from tests.volunteers.factories import SkillFactory, VolunteerFactory, make_id_number
from tests.volunteers.files import csv_bytes, read_xlsx, xlsx_bytes
from volunteers.importers import ActivityImporter, TeamImporter, VolunteerImporter
from volunteers.models import Team, Volunteer

pytestmark = pytest.mark.django_db

HEADER = [
    "志愿者编号",
    "姓名",
    "身份证号",
    "联系电话",
    "服务社区编码",
    "技能",
    "可服务时间",
    "注册状态",
]


def roster(*rows):
    return [HEADER, *rows]


def test_import_creates_volunteers_with_skills_and_history(users, tree):
    SkillFactory(code="medical", name="医疗护理")
    SkillFactory(code="legal", name="法律咨询")
    data = csv_bytes(
        roster(
            ["A-V1", "赵敏", make_id_number(1), "13800000001", "A", "医疗护理、legal", "周末", ""],
            ["A-V2", "钱多", "", "13800000002", "A", "", "工作日晚间，周末", "申请"],
        ),
        encoding="gb18030",
    )
    importer = VolunteerImporter(users["cadre_a"])
    preview = importer.run(data, "roster.csv", dry_run=True)
    assert preview.ok and preview.created == 2 and Volunteer.objects.count() == 0
    result = VolunteerImporter(users["cadre_a"]).run(data, "roster.csv", dry_run=False)
    assert result.committed, result.errors
    first = Volunteer.objects.get(number="A-V1")
    assert sorted(first.skills.values_list("code", flat=True)) == ["legal", "medical"]
    assert first.status == "registered" and first.availability == ["weekend"]
    assert Volunteer.objects.get(number="A-V2").status == "applied"
    assert first.history.count() == 1
    assert first.history.first().history_user == users["cadre_a"]
    assert AuditLog.objects.filter(action="volunteer.import").count() == 1


def test_update_by_number_replaces_skills(users, tree):
    SkillFactory(code="medical", name="医疗护理")
    legal = SkillFactory(code="legal", name="法律咨询")
    existing = VolunteerFactory(number="A-V9", community=tree["community_a"])
    existing.skills.add(legal)
    data = xlsx_bytes(
        roster(["A-V9", "新名字", "", "13800000009", "A", "医疗护理", "", ""]), "志愿者"
    )
    result = VolunteerImporter(users["cadre_a"]).run(data, "r.xlsx", dry_run=False)
    assert result.committed and result.updated == 1
    existing.refresh_from_db()
    assert existing.name == "新名字"
    assert list(existing.skills.values_list("code", flat=True)) == ["medical"]


def test_every_bad_row_is_reported_and_nothing_is_written(users, tree):
    VolunteerFactory(number="B-V1", community=tree["community_b"], id_number=make_id_number(7))
    data = csv_bytes(
        roster(
            ["A-V1", "好人", make_id_number(1), "13800000001", "A", "", "", ""],
            ["A-V2", "坏身份证", "110105199001011234", "13800000002", "A", "", "", ""],
            ["A-V3", "外社区", "", "13800000003", "B", "", "", ""],
            ["A-V4", "坏技能", "", "13800000004", "A", "飞行", "", ""],
            ["A-V5", "重复证件", make_id_number(1), "13800000005", "A", "", "", ""],
            ["A-V6", "已登记证件", make_id_number(7), "13800000006", "A", "", "", ""],
            ["A-V7", "坏电话", "", "abc", "A", "", "", ""],
            ["A-V8", "坏时间", "", "13800000008", "A", "", "深夜", ""],
            ["A-V1", "重复编号", "", "13800000009", "A", "", "", ""],
        )
    )
    result = VolunteerImporter(users["cadre_a"]).run(data, "r.csv", dry_run=False)
    assert not result.committed
    rows = {(e.row, e.column) for e in result.errors}
    assert (3, "身份证号") in rows
    assert (4, "服务社区编码") in rows
    assert (5, "技能") in rows
    assert (8, "联系电话") in rows
    assert (9, "可服务时间") in rows
    assert (10, "志愿者编号") in rows
    assert Volunteer.objects.count() == 1


def test_duplicate_and_registered_id_numbers_are_reported(users, tree):
    VolunteerFactory(number="A-V0", community=tree["community_a"], id_number=make_id_number(7))
    data = csv_bytes(
        roster(
            ["A-V1", "甲", make_id_number(1), "13800000001", "A", "", "", ""],
            ["A-V2", "乙", make_id_number(1), "13800000002", "A", "", "", ""],
            ["A-V3", "丙", make_id_number(7), "13800000003", "A", "", "", ""],
        )
    )
    result = VolunteerImporter(users["cadre_a"]).run(data, "r.csv", dry_run=False)
    messages = [str(e) for e in result.errors]
    assert "第 3 行 身份证号: 与第 2 行重复。" in messages
    assert any(m.startswith("第 4 行 身份证号: 已登记为志愿者“A-V0”") for m in messages)
    assert Volunteer.objects.count() == 1


def test_existing_volunteer_of_another_community_cannot_be_overwritten(users, tree):
    VolunteerFactory(number="B-V1", community=tree["community_b"])
    data = csv_bytes(roster(["B-V1", "改名", "", "13800000001", "A", "", "", ""]))
    result = VolunteerImporter(users["cadre_a"]).run(data, "r.csv", dry_run=False)
    assert [str(e) for e in result.errors] == [
        "第 2 行 志愿者编号: 编码“B-V1”已被使用，不能用于新增记录：新增请换一个编码或留空由系统生成。"
    ]


def test_export_is_masked_and_round_trips(users, tree):
    VolunteerFactory(
        number="A-V1",
        community=tree["community_a"],
        phone="13812345678",
        id_number=make_id_number(3),
    )
    importer = VolunteerImporter(users["cadre_a"])
    content = importer.export(Volunteer.objects.all(), "xlsx")
    rows = read_xlsx(content)
    assert rows[0][:4] == ["志愿者编号", "姓名", "身份证号", "联系电话"]
    assert rows[1][3] == "138****5678"
    assert rows[1][2] == make_id_number(3)[:6] + "********" + make_id_number(3)[-4:]


def test_team_and_activity_import(users, tree):
    VolunteerFactory(number="A-V1", community=tree["community_a"])
    teams = csv_bytes(
        [
            [
                "服务队编码",
                "名称",
                "类型",
                "所属社区编码",
                "队长志愿者编号",
                "临时队伍",
                "结束日期",
            ],
            ["A-T1", "园林巡防队", "治安巡防", "A", "A-V1", "", ""],
            ["A-T2", "防汛突击队", "应急突击", "A", "", "是", ""],
        ]
    )
    result = TeamImporter(users["cadre_a"]).run(teams, "t.csv", dry_run=False)
    assert [str(e) for e in result.errors] == ["第 3 行 结束日期: 临时队伍必须填写结束日期。"]
    assert Team.objects.count() == 0
    teams = teams.replace(b"\xe6\x98\xaf,\r\n", b"\xe6\x98\xaf,2026-12-31\r\n")
    result = TeamImporter(users["cadre_a"]).run(teams, "t.csv", dry_run=False)
    assert result.committed, result.errors
    assert list(Team.objects.get(code="A-T1").members.values_list("number", flat=True)) == ["A-V1"]
    activities = csv_bytes(
        [
            [
                "活动编码",
                "活动名称",
                "主办组织编码",
                "承办服务队编码",
                "开始时间",
                "结束时间",
                "地点",
                "名额",
            ],
            [
                "A-A1",
                "夜间巡防",
                "A",
                "A-T1",
                "2026-12-01 19:00",
                "2026-12-01 21:00",
                "园林小区",
                "10",
            ],
            ["A-A2", "倒着的", "A", "", "2026-12-01 21:00", "2026-12-01 19:00", "园林小区", "10"],
        ]
    )
    result = ActivityImporter(users["cadre_a"]).run(activities, "a.csv", dry_run=False)
    assert [str(e) for e in result.errors] == ["第 3 行 结束时间: 结束时间必须晚于开始时间。"]
