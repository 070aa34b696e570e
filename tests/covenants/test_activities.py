from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditLog
from covenants.choices import AgreementStatus
from covenants.models import ActivityAttachment, ActivityRecord, ServiceProject
from covenants.selectors import street_activity_summary, unit_activity_table
from covenants.services import (
    activity_confirm,
    activity_record,
    activity_update,
    agreement_terminate,
    attachment_add,
    project_claim,
)
from tests.covenants.factories import ActivityFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100
PDF = b"%PDF-1.4\n" + b"0" * 100


def record(actor, project, day, **kw):
    kw.setdefault("kind", "volunteer_service")
    kw.setdefault("title", "义务理发")
    return activity_record(actor=actor, project=project, date=day, **kw)


def test_activity_within_term_gets_a_code(signed, users):
    project = signed["a"]["project"]
    activity = record(users["cadre_a"], project, date(2026, 1, 1), residents_served=30)
    assert activity.code == "SP-a-A0001"
    assert record(users["cadre_a"], project, date(2026, 1, 2)).code == "SP-a-A0002"
    assert AuditLog.objects.filter(action="activity.record").count() == 2


@pytest.mark.parametrize("day", [date(2025, 12, 31), date(2027, 1, 1)])
def test_activity_outside_agreement_term_refused(signed, users, day):
    before = ActivityRecord.objects.count()
    with pytest.raises(ValidationError) as exc:
        record(users["cadre_a"], signed["a"]["project"], day)
    assert "不在协议“AG-a”的期限内" in exc.value.message_dict["date"][0]
    assert ActivityRecord.objects.count() == before


def test_activity_after_termination_refused(signed, users):
    agreement = signed["a"]["agreement"]
    agreement_terminate(
        actor=users["cadre_a"],
        agreement=agreement,
        reason="停止合作",
        terminated_on=date(2026, 6, 30),
    )
    record(users["cadre_a"], signed["a"]["project"], date(2026, 6, 30))
    with pytest.raises(ValidationError) as exc:
        record(users["cadre_a"], signed["a"]["project"], date(2026, 7, 1))
    assert "2026-06-30" in exc.value.message_dict["date"][0]


def test_activity_under_draft_agreement_refused(signed, users):
    agreement = signed["a"]["agreement"]
    agreement.status = AgreementStatus.DRAFT
    agreement.save()
    with pytest.raises(ValidationError) as exc:
        record(users["cadre_a"], signed["a"]["project"], date(2026, 3, 1))
    assert "尚未签订" in str(exc.value)


def test_activity_in_other_community_refused(signed, users):
    with pytest.raises(ValidationError, match="对象不存在"):  # out of reach: like unknown
        record(users["cadre_a"], signed["b"]["project"], date(2026, 3, 1))


def test_resource_sharing_project_needs_a_venue(signed, users):
    with pytest.raises(ValidationError) as exc:
        project_claim(
            actor=users["cadre_a"],
            agreement=signed["a"]["agreement"],
            code="SP-V",
            title="开放食堂",
            category="resource_sharing",
        )
    assert "venue" in exc.value.message_dict
    assert not ServiceProject.objects.filter(code="SP-V").exists()


@pytest.mark.parametrize(
    "kind,name,content,size,expected",
    [
        ("photo", "活动.gif", b"GIF89a", None, "文件类型不允许：影像资料不接受“活动.gif”"),
        ("plan", "方案.exe", b"MZ", None, "文件类型不允许：活动方案不接受“方案.exe”"),
        ("photo", "合影.png", PNG, 10 * 1024 * 1024 + 1, "超过影像资料的 10 MB 上限"),
        ("record", "记录.pdf", PDF, 20 * 1024 * 1024 + 1, "超过活动记录的 20 MB 上限"),
        ("photo", "假图.png", b"MZ\x90\x00" * 10, None, "内容与类型不符"),
    ],
)
def test_attachment_limits_say_which_limit(signed, users, kind, name, content, size, expected):
    upload = SimpleUploadedFile(name, content)
    if size is not None:
        upload.size = size
    with pytest.raises(ValidationError) as exc:
        attachment_add(
            actor=users["cadre_a"], activity=signed["a"]["activity"], kind=kind, upload=upload
        )
    assert expected in exc.value.message_dict["file"][0]
    assert ActivityAttachment.objects.count() == 0


def test_confirm_requires_handed_over_record_and_is_audited(signed, users):
    activity = signed["a"]["activity"]
    attachment_add(
        actor=users["cadre_a"],
        activity=activity,
        kind="plan",
        upload=SimpleUploadedFile("方案.pdf", PDF),
    )
    with pytest.raises(ValidationError) as exc:
        activity_confirm(actor=users["cadre_a"], activity=activity)
    assert "尚未移交活动记录或影像资料" in str(exc.value)
    attachment = attachment_add(
        actor=users["cadre_a"],
        activity=activity,
        kind="photo",
        upload=SimpleUploadedFile("合影.png", PNG),
    )
    assert attachment.size == len(PNG) and attachment.file.read() == PNG
    with pytest.raises(PermissionDenied):
        activity_confirm(actor=users["cadre_b"], activity=activity)
    activity_confirm(actor=users["cadre_a"], activity=activity)
    activity.refresh_from_db()
    assert activity.confirmed_by == users["cadre_a"] and activity.confirmed_at
    assert (
        AuditLog.objects.filter(action="activity.confirm", target_id=str(activity.pk)).count() == 1
    )
    with pytest.raises(ValidationError):
        activity_confirm(actor=users["cadre_a"], activity=activity)
    with pytest.raises(ValidationError):
        activity_update(actor=users["cadre_a"], activity=activity, title="改")


def test_handout_share_per_unit_and_street(signed, users):
    project = signed["a"]["project"]
    for day in (2, 3, 4):
        ActivityFactory(project=project, date=date(2026, 4, day), kind="handout_visit")
    table = unit_activity_table(users["street"], organization=None, year=2026, on=date(2026, 5, 1))
    rows = {r.unit.code: r for r in table.rows}
    assert (rows["UA"].activities, rows["UA"].handouts) == (4, 3)
    assert rows["UA"].handout_share == 0.75
    assert rows["UB"].handout_share == 0.0
    assert table.handouts == 3 and table.activities == 7
    [street] = street_activity_summary(users["street"], year=2026)
    assert (street.activities, street.handouts) == (7, 3)
    # Another year counts nothing.
    [other] = street_activity_summary(users["street"], year=2025)
    assert other.activities == 0 and other.handout_share is None


def test_api_attachment_upload_and_confirm(signed, users, api):
    client = api(users["cadre_a"])
    bad = client.post(
        "/api/v1/activities/ACT-a/attachments/",
        {"kind": "photo", "file": SimpleUploadedFile("x.bmp", b"BM" * 10)},
        format="multipart",
    )
    assert bad.status_code == 400
    assert "影像资料不接受“x.bmp”" in bad.json()["errors"]["file"][0]
    ok = client.post(
        "/api/v1/activities/ACT-a/attachments/",
        {"kind": "record", "file": SimpleUploadedFile("记录.pdf", PDF)},
        format="multipart",
    )
    assert ok.status_code == 201, ok.content
    confirmed = client.post("/api/v1/activities/ACT-a/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_at"]
    assert client.get("/api/v1/activities/ACT-a/").json()["attachments"][0]["kind"] == "record"
