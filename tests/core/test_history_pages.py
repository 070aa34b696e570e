"""History pages (django-simple-history admin) read in Chinese (issue 18, item 4): column
headers are field labels, values are display values (a choice's label, 无 for empty, a linked
record's name), times are local (Asia/Shanghai). One mechanism: core.history_admin."""

import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from core.history_admin import display_value
from organizations.models import Member
from tests.organizations.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_member_history_uses_labels_and_display_values(admin_client_for, users, tree):
    member = MemberFactory(branch=tree["branch_a"], category="in_service")
    member.category = "retired"
    member.save()
    record = member.history.order_by("-history_date").first()
    page = admin_client_for(users["street"]).get(
        f"/admin/organizations/member/{member.pk}/history/"
    )
    assert page.status_code == 200
    html = page.content.decode()
    table = html[html.index('id="change-history"') :]
    headers = re.findall(r'<th scope="col">(.*?)</th>', table)
    assert headers == [
        "版本",
        "党员类别",
        "所在党组织",
        "时间",
        "操作",
        "操作人",
        "变更原因",
        "变更内容",
    ]
    assert not {"category", "branch", "Changes", "Date/time"} & set(headers)
    assert "离退休党员" in table and "在职党员" in table
    assert "in_service" not in table and "retired" not in table
    assert ">None<" not in table and "无" in table
    assert str(tree["branch_a"]) in table
    local = timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")
    assert local in table


def test_display_values():
    field = Member._meta.get_field("category")
    assert display_value(field, "in_service") == "在职党员"
    assert display_value(field, None) == "无"
    assert display_value(Member._meta.get_field("branch"), 987654) == "（已删除的党组织）"
    when = datetime(2026, 12, 3, 7, 37, tzinfo=UTC)
    assert display_value(None, when) == "2026-12-03 15:37"
    assert display_value(None, True) == "是"
