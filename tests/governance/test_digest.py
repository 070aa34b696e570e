"""The daily digest of everything overdue: content by scope, links, exactly once, mail down."""

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.urls import reverse

from covenants.models import PartnerUnit
from governance import digest
from governance.digest import digest_run
from governance.models import Notification
from governance.reminders import emails_deliver
from governance.services import task_dispatch
from grids.models import Case
from tests.covenants.factories import (
    AgreementFactory,
    LiaisonLogFactory,
    PartnershipFactory,
    PartnerUnitFactory,
)
from tests.governance.test_reminders import _in_threads, _pg_only

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 3, 20)
NOW = dt.datetime(2026, 3, 20, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai


def make_case(community, *, code, due, **extra):
    return Case.objects.create(
        tracking_code=code,
        source="patrol",
        category="environment",
        description=f"楼道堆物{code}",
        reporter_name="张三",
        reporter_phone="13800000000",
        community=community,
        due_at=due,
        **extra,
    )


@pytest.fixture
def overdue(tree, users, series_a):
    for user in users.values():
        user.email = f"{user.username}@example.org"
        user.save()
    late = NOW - dt.timedelta(days=2)
    cases = {
        "a_late": make_case(tree["community_a"], code="CA1", due=late),
        "a_fine": make_case(tree["community_a"], code="CA2", due=NOW + dt.timedelta(days=2)),
        "a_done": make_case(tree["community_a"], code="CA3", due=late, status="resolved"),
        "b_late": make_case(tree["community_b"], code="CB1", due=late),
        "a_whistle": make_case(
            tree["community_a"],
            code="CA4",
            due=NOW + dt.timedelta(days=3),
            status="dispatched",
            dispatch_kind="department",
            target_label="区城管执法局",
            ack_due_at=NOW - dt.timedelta(hours=3),
        ),
    }
    task = task_dispatch(
        actor=users["street"],
        title="清理园林社区楼道",
        organization=tree["street"],
        assignee=tree["community_a"],
        deadline=D(2026, 3, 10),
    )
    unit = PartnerUnitFactory(organization=tree["street"], name="供电公司")
    PartnershipFactory(unit=unit, organization=tree["community_a"])
    LiaisonLogFactory(unit=unit, organization=tree["community_b"], date=D(2026, 3, 5))
    agreement = AgreementFactory(
        party_a=tree["community_a"], unit=unit, ends_on=D(2026, 4, 10), starts_on=D(2025, 4, 11)
    )
    return {**cases, "task": task, "unit": unit, "agreement": agreement, "series": series_a}


def digest_of(user):
    return Notification.objects.get(kind="daily_digest", recipient=user)


def test_digest_lists_what_is_overdue_in_each_users_scope_with_links(overdue, users):
    result = digest_run(today=TODAY, now=NOW)
    case_url = reverse("admin:grids_case_change", args=[overdue["a_late"].pk])
    a = digest_of(users["cadre_a"])
    assert a.dedup_key == "digest:20260320" and a.recipient_key == f"u:{users['cadre_a'].pk}"
    assert a.email == "cadre_a@example.org" and a.email_status == "queued"
    assert "CA1" in a.body and case_url in a.body
    assert "CB1" not in a.body and "CA2" not in a.body and "CA3" not in a.body
    # the whistle not acknowledged in time, with the department and the local deadline
    assert "【部门超时未报到（吹哨报到）】1 项" in a.body and "区城管执法局" in a.body
    assert "报到时限 2026-03-20 06:00" in a.body  # 22:00 UTC = 06:00 Shanghai
    task_url = reverse("admin:governance_task_change", args=[overdue["task"].pk])
    assert overdue["task"].code in a.body and task_url in a.body  # the assignee side
    unit_url = reverse("admin:covenants_partnerunit_change", args=[overdue["unit"].pk])
    assert "【共建单位近一个月无联络】1 项" in a.body and unit_url in a.body
    agreement_url = reverse("admin:covenants_agreement_change", args=[overdue["agreement"].pk])
    assert "还有 21 天" in a.body and agreement_url in a.body
    series_url = reverse("admin:governance_meetingseries_change", args=[overdue["series"].pk])
    assert "2026年2月未召开" in a.body.replace(" ", "") or series_url in a.body
    assert series_url in a.body
    assert a.title.startswith("每日逾期事项汇总（2026-03-20）")

    b = digest_of(users["cadre_b"])
    assert "CB1" in b.body and "CA1" not in b.body
    assert overdue["task"].code not in b.body and "供电公司" not in b.body
    street = digest_of(users["street"])
    for code in ("CA1", "CB1", "CA4", overdue["task"].code):
        assert code in street.body
    # the street is in contact with the unit (through community B): only A's gap is listed,
    # once, under A; the street's own digest shows A's item once
    assert street.body.count(unit_url) == 1
    assert "CA2" not in street.body
    # a superuser without a scope assignment gets none; every other user exactly one
    assert not Notification.objects.filter(recipient=users["root"]).exists()
    assert result.created == Notification.objects.filter(kind="daily_digest").count() == 5


def test_nothing_overdue_no_digest(tree, users):
    make_case(tree["community_a"], code="CA9", due=NOW + dt.timedelta(days=1))
    assert digest_run(today=TODAY, now=NOW).created == 0
    assert not Notification.objects.exists()


def test_long_lists_are_cut_with_a_link_to_the_list(tree, users, settings):
    settings.GOVERNANCE_DIGEST_MAX_ITEMS = 3
    settings.GOVERNANCE_DIGEST_BASE_URL = "https://gz.example.cn/"
    for n in range(5):
        make_case(tree["community_a"], code=f"CL{n}", due=NOW - dt.timedelta(hours=n + 1))
    digest_run(today=TODAY, now=NOW)
    body = digest_of(users["cadre_a"]).body
    assert "【诉求超过办结时限】5 项" in body
    assert "另有 2 项，见 https://gz.example.cn/admin/grids/case/" in body
    # oldest deadline first
    assert body.index("CL4") < body.index("CL3") < body.index("CL2")
    assert "CL1" not in body and "CL0" not in body
    assert "https://gz.example.cn/admin/grids/case/" in body


def test_second_run_the_same_day_creates_nothing_and_the_next_day_a_new_one(overdue, users):
    first = digest_run(today=TODAY, now=NOW)
    assert first.created == 5
    again = digest_run(today=TODAY, now=NOW + dt.timedelta(hours=2))
    assert again.created == 0 and again.already_stored == 5
    assert Notification.objects.count() == 5
    assert (
        digest_run(today=TODAY + dt.timedelta(days=1), now=NOW + dt.timedelta(days=1)).created == 5
    )


def test_a_run_that_dies_mid_insert_leaves_nothing_and_the_retry_creates_each_once(overdue):
    with (
        mock.patch.object(digest, "insert_or_skip", side_effect=RuntimeError("killed")),
        pytest.raises(RuntimeError),
    ):
        digest_run(today=TODAY, now=NOW)
    assert not Notification.objects.exists()
    assert digest_run(today=TODAY, now=NOW).created == 5


def test_query_count_does_not_grow_with_the_street(tree, users, django_assert_max_num_queries):
    def run_with(n):
        for i in range(n):
            make_case(tree["community_a"], code=f"Q{n}-{i}", due=NOW - dt.timedelta(hours=1))
            make_case(tree["community_b"], code=f"R{n}-{i}", due=NOW - dt.timedelta(hours=1))
        Notification.objects.all().delete()
        with connection.execute_wrapper(counter):
            digest_run(today=TODAY, now=NOW)

    counts = []

    def counter(execute, sql, params, many, context):
        counts[-1] += 1
        return execute(sql, params, many, context)

    counts.append(0)
    run_with(2)
    counts.append(0)
    run_with(40)
    assert counts[0] == counts[1] <= 16


def test_mail_server_down_keeps_the_email_queued_and_the_in_app_digest_single(overdue, users):
    digest_run(today=TODAY, now=NOW)
    queued = Notification.objects.filter(email_status="queued").count()
    assert queued == 5

    def down(self, messages):
        raise ConnectionRefusedError("mail server down")

    with mock.patch.object(EmailBackend, "send_messages", down):
        result = emails_deliver()
    assert result["sent"] == 0
    assert Notification.objects.filter(email_status="queued").count() == 5
    assert len(mail.outbox) == 0
    # the morning run again (a second scheduler, a retry): no second in-app digest
    assert digest_run(today=TODAY, now=NOW).created == 0
    # the server is back: each e-mail goes out once
    assert emails_deliver()["sent"] == 5
    assert emails_deliver()["sent"] == 0
    assert len(mail.outbox) == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"{name}@example.org" for name in ("street", "cadre_a", "cadre_b", "grid_a", "district")
    )
    assert Notification.objects.filter(kind="daily_digest").count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_store_one_digest_per_user(overdue, users):
    _pg_only()
    results = _in_threads(2, lambda: digest_run(today=TODAY, now=NOW))
    assert sum(r.created for r in results) == 5
    keys = list(Notification.objects.values_list("dedup_key", "recipient_key"))
    assert len(keys) == len(set(keys)) == 5


def test_units_registered_without_partners_and_contacted_are_not_listed(tree, users):
    contacted = PartnerUnitFactory(organization=tree["community_a"])
    LiaisonLogFactory(unit=contacted, organization=tree["community_a"], date=D(2026, 2, 25))
    silent = PartnerUnitFactory(organization=tree["community_a"])
    LiaisonLogFactory(unit=silent, organization=tree["community_a"], date=D(2026, 2, 19))
    digest_run(today=TODAY, now=NOW)
    body = digest_of(users["cadre_a"]).body
    assert silent.name in body and contacted.name not in body
    assert PartnerUnit.objects.count() == 2
