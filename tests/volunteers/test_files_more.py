"""Files of the skill dictionary (import/export by code) and of sign-ups (export only)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import AuditLog
from tests.volunteers.factories import ActivityFactory, SkillFactory, VolunteerFactory
from tests.volunteers.files import csv_bytes, read_xlsx, xlsx_bytes
from volunteers.importers import SignUpExporter, SkillImporter
from volunteers.models import SignUp, Skill
from volunteers.selectors import sign_ups_visible_to
from volunteers.services import (
    hours_correct,
    sign_up_check_in,
    sign_up_check_out,
    sign_up_create,
)

pytestmark = pytest.mark.django_db


def _file(content: bytes, name: str = "x.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


# ---------------------------------------------------------------- skills


def test_skill_import_creates_and_renames_by_code(users):
    SkillFactory(code="legal", name="法律")
    data = csv_bytes([["技能编码", "技能名称"], ["medical", "医疗护理"], ["legal", "法律咨询"]])
    preview = SkillImporter(users["cadre_a"]).run(data, "skills.csv", dry_run=True)
    assert preview.ok and (preview.created, preview.updated) == (1, 1)
    assert Skill.objects.count() == 1
    result = SkillImporter(users["cadre_a"]).run(data, "skills.csv", dry_run=False)
    assert result.committed, result.errors
    assert dict(Skill.objects.values_list("code", "name")) == {
        "legal": "法律咨询",
        "medical": "医疗护理",
    }
    assert AuditLog.objects.filter(action="skill.import").count() == 1


def test_skill_import_bad_rows_are_numbered_and_nothing_is_written(users):
    SkillFactory(code="legal", name="法律咨询")
    data = csv_bytes(
        [
            ["技能编码", "技能名称"],
            ["medical", "医疗护理"],
            ["bad code!", "心理疏导"],
            ["law2", "法律咨询"],
            ["first-aid", ""],
        ]
    )
    result = SkillImporter(users["cadre_a"]).run(data, "skills.csv", dry_run=False)
    assert not result.committed
    rows = {(e.row, e.column) for e in result.errors}
    assert (3, "技能编码") in rows  # the code validator
    assert (5, "技能名称") in rows  # required
    assert {e.row for e in result.errors} == {3, 5}
    # Names are checked across rows once every row parses.
    clash = csv_bytes([["技能编码", "技能名称"], ["medical", "医疗护理"], ["law2", "法律咨询"]])
    result = SkillImporter(users["cadre_a"]).run(clash, "skills.csv", dry_run=False)
    assert not result.committed
    assert [(e.row, e.column) for e in result.errors] == [(3, "技能名称")]
    assert "legal" in result.errors[0].message
    assert Skill.objects.count() == 1
    assert not AuditLog.objects.filter(action="skill.import").exists()


def test_skill_import_needs_add_and_change_permission(api, users):
    data = csv_bytes([["技能编码", "技能名称"], ["medical", "医疗护理"]])
    result = SkillImporter(users["grid_a"]).run(data, "skills.csv", dry_run=False)
    assert not result.committed and "权限" in result.errors[0].message
    response = api(users["grid_a"]).post(
        "/api/v1/volunteer-skills/import/",
        {"file": _file(data), "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 403
    assert Skill.objects.count() == 0
    response = api(users["cadre_a"]).post(
        "/api/v1/volunteer-skills/import/",
        {"file": _file(data), "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert Skill.objects.get(code="medical").name == "医疗护理"


def test_skill_export_and_template(api, users):
    SkillFactory(code="medical", name="医疗护理")
    SkillFactory(code="legal", name="法律咨询")
    rows = read_xlsx(SkillImporter(users["grid_a"]).export(Skill.objects.all(), "xlsx"))
    assert rows == [["技能编码", "技能名称"], ["legal", "法律咨询"], ["medical", "医疗护理"]]
    response = api(users["grid_a"]).get("/api/v1/volunteer-skills/export/?file_format=csv")
    assert response.status_code == 200
    assert "medical,医疗护理" in response.content.decode("utf-8-sig")
    # An exported file imports again unchanged.
    again = SkillImporter(users["cadre_a"]).run(xlsx_bytes(rows, "志愿技能"), "s.xlsx")
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 2)


# ---------------------------------------------------------------- sign-ups


@pytest.fixture
def sign_ups(users, tree, vol_a, vol_b, activity_a):
    """A checked-out (and corrected) sign-up in A, a waitlisted one in A, one in B."""
    other_a = VolunteerFactory(community=tree["community_a"], name="王五")
    third_a = VolunteerFactory(community=tree["community_a"], name="赵六")
    done = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=other_a)
    waiting = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=third_a)
    start = timezone.now() - timedelta(hours=4)
    type(activity_a).objects.filter(pk=activity_a.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=3)
    )
    activity_a.refresh_from_db()
    sign_up_check_in(actor=users["cadre_a"], sign_up=done, at=activity_a.starts_at)
    entry = sign_up_check_out(
        actor=users["cadre_a"], sign_up=done, at=activity_a.starts_at + timedelta(hours=2)
    )
    hours_correct(actor=users["cadre_a"], entry=entry, new_hours=Decimal("2.5"), reason="补登")
    activity_b = ActivityFactory(organizer=tree["community_b"], code="B-ACT")
    in_b = sign_up_create(actor=users["cadre_b"], activity=activity_b, volunteer=vol_b)
    return {"done": done, "waiting": waiting, "in_b": in_b}


def test_sign_up_export_is_scoped_with_attendance_and_hours(users, sign_ups, vol_a):
    user = users["cadre_a"]
    content = SignUpExporter(user).export(sign_ups_visible_to(user), "xlsx")
    header, *rows = read_xlsx(content)
    assert header[:6] == ["记录号", "活动编码", "活动名称", "志愿者编号", "姓名", "状态"]
    assert "联系电话" not in header and "身份证号" not in header
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_id) == set(
        SignUp.objects.filter(activity__organizer__code="A").values_list("id", flat=True)
    )
    assert len(by_id) == 3 and sign_ups["in_b"].pk not in by_id
    done = by_id[sign_ups["done"].pk]
    assert done["志愿者编号"] == vol_a.number and done["状态"] == "已报名"
    assert done["签到时间"] and done["签退时间"]
    assert Decimal(str(done["时长（小时）"])) == Decimal("2.5")  # 2 h + the correction
    waiting = by_id[sign_ups["waiting"].pk]
    assert waiting["状态"] == "候补" and waiting["时长（小时）"] in (None, "")
    assert "13812345678" not in str(rows)


def test_sign_up_export_over_the_api_is_scoped(api, users, sign_ups):
    response = api(users["cadre_b"]).get("/api/v1/volunteer-sign-ups/export/?file_format=csv")
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and "B-ACT" in lines[1]
    assert str(sign_ups["done"].activity.code) not in response.content.decode("utf-8-sig")


def test_sign_up_import_is_refused(api, users, sign_ups, vol_a, activity_a):
    before = SignUp.objects.count()
    data = csv_bytes([["活动编码", "志愿者编号"], [activity_a.code, vol_a.number]])
    result = SignUpExporter(users["cadre_a"]).run(data, "s.csv", dry_run=False)
    assert not result.committed and "只能导出" in result.errors[0].message
    response = api(users["cadre_a"]).post(
        "/api/v1/volunteer-sign-ups/import/",
        {"file": _file(data), "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 400 and "只能导出" in str(response.json()["errors"])
    assert SignUp.objects.count() == before


def test_admin_exports_skills_and_scoped_sign_ups(client, users, sign_ups):
    from django.urls import reverse

    SkillFactory(code="medical", name="医疗护理")
    client.force_login(users["cadre_b"])
    skills = client.get(reverse("admin:volunteers_skill_export") + "?format=csv")
    assert skills.status_code == 200
    assert "medical" in skills.content.decode("utf-8-sig")
    exported = client.get(reverse("admin:volunteers_signup_export") + "?format=csv")
    assert exported.status_code == 200
    lines = exported.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and "B-ACT" in lines[1]
    assert client.get(reverse("admin:volunteers_skill_changelist")).status_code == 200
    assert client.get(reverse("admin:volunteers_signup_changelist")).status_code == 200
