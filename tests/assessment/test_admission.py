"""准入 workflow: filing (refusable flag), street approval/refusal, community refusal, scope."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from governance.assessment.models import AdmissionRequest
from governance.assessment.selectors import admission_figures
from governance.assessment.services import (
    admission_approve,
    admission_community_refuse,
    admission_file,
    admission_refuse,
)


def file(users, tree, code, **extra):
    data = dict(
        code=code,
        community=tree["community_a"],
        department="区应急局",
        title="燃气安全排查",
        legal_authority="《城镇燃气管理条例》",
        staff_count=2,
        funds=Decimal("20000"),
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 6, 30),
    )
    data.update(extra)
    return admission_file(actor=users["cadre_a"], **data)


def test_request_without_funds_or_staff_is_accepted_and_flagged(tree, users):
    ok = file(users, tree, "ZR-1")
    no_funds = file(users, tree, "ZR-2", funds=Decimal("0"))
    nothing = file(users, tree, "ZR-3", funds=Decimal("0"), staff_count=0)
    assert not ok.refusable
    assert no_funds.refusable and no_funds.missing_resources == ["经费"]
    assert nothing.refusable and nothing.missing_resources == ["人员", "经费"]
    assert AuditLog.objects.filter(action="admission.file").count() == 3


def test_street_approves_and_refuses_with_reason(tree, users):
    a, b = file(users, tree, "ZR-1"), file(users, tree, "ZR-2")
    admission_approve(actor=users["street"], request=a)
    with pytest.raises(ValidationError):
        admission_refuse(actor=users["street"], request=b, reason="  ")
    admission_refuse(actor=users["street"], request=b, reason="不属于社区职责，应由执法部门办理")
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.status, b.status) == ("approved", "refused")
    assert b.decision_reason.startswith("不属于") and b.decided_by == users["street"]
    assert AuditLog.objects.filter(action="admission.approve", target_id=str(a.pk)).exists()
    assert AuditLog.objects.filter(action="admission.refuse", target_id=str(b.pk)).exists()
    with pytest.raises(ValidationError):
        admission_refuse(actor=users["street"], request=a, reason="反悔")


def test_community_cannot_approve_its_own_request(tree, users):
    a = file(users, tree, "ZR-1")
    with pytest.raises(PermissionDenied):
        admission_approve(actor=users["cadre_a"], request=a)


def test_community_refuses_unapproved_work_in_one_step(tree, users):
    a, b = file(users, tree, "ZR-1", funds=Decimal("0")), file(users, tree, "ZR-2")
    admission_community_refuse(actor=users["cadre_a"], request=a)
    a.refresh_from_db()
    assert a.status == "community_refused" and "未经街道准入审批" in a.decision_reason
    assert AuditLog.objects.filter(action="admission.community_refuse").count() == 1
    admission_approve(actor=users["street"], request=b)
    with pytest.raises(ValidationError):
        admission_community_refuse(actor=users["cadre_a"], request=b)


def test_other_community_cannot_touch_the_request(tree, users):
    a = file(users, tree, "ZR-1")
    with pytest.raises(PermissionDenied):
        admission_community_refuse(actor=users["cadre_b"], request=a)
    with pytest.raises(ValidationError, match="对象不存在"):  # out of reach: like unknown
        admission_file(
            actor=users["cadre_b"],
            code="ZR-9",
            community=tree["community_a"],
            department="x",
            title="y",
            starts_on=date(2026, 1, 1),
        )
    assert not AdmissionRequest.objects.visible_to(users["cadre_b"]).exists()


def test_figures(tree, users, django_assert_num_queries):
    reqs = [file(users, tree, f"ZR-{i}", funds=Decimal(i % 2)) for i in range(5)]
    admission_approve(actor=users["street"], request=reqs[0])
    admission_approve(actor=users["street"], request=reqs[1])
    admission_refuse(actor=users["street"], request=reqs[2], reason="无依据")
    admission_community_refuse(actor=users["cadre_a"], request=reqs[3])
    with django_assert_num_queries(1):
        figures = admission_figures(AdmissionRequest.objects.all())
    assert figures == {
        "requests": 5,
        "approved": 2,
        "refused": 1,
        "community_refused": 1,
        "pending": 1,
        "refusable": 3,
    }


def test_approved_work_becomes_a_task_for_the_community(tree, users):
    from governance.models import Task

    a = file(users, tree, "ZR-T")
    admission_approve(actor=users["street"], request=a)
    task = Task.objects.get(title="燃气安全排查")
    assert task.organization == tree["street"]
    assert task.assignee == tree["community_a"]
    assert task.deadline == date(2026, 6, 30)
    assert "ZR-T" in task.description
    assert task.source == a
