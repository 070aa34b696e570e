import datetime as dt
import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import connection

from governance.models import Notification
from governance.reminders import emails_deliver, reminders_run, window_for
from governance.services import meeting_hold, meeting_plan, task_accept, task_dispatch

pytestmark = pytest.mark.django_db

D = dt.date


def kinds(kind, **filters):
    return Notification.objects.filter(kind=kind, **filters)


def recipients(kind, **filters):
    return sorted(kinds(kind, **filters).values_list("recipient_key", flat=True))


def test_window_for_edges():
    windows = (7, 1)
    assert [window_for(d, windows) for d in (8, 7, 2, 1, 0, -1)] == [None, 7, 7, 1, 1, None]


def test_meeting_reminders_on_both_edges_of_each_window(series_a, users):
    meeting = meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 20))
    expected = ["e:wang@example.org", f"u:{users['cadre_a'].pk}", f"u:{users['grid_a'].pk}"]
    reminders_run(today=D(2024, 3, 12))  # 8 days ahead: outside the 7-day window
    assert not kinds("meeting_reminder").exists()
    reminders_run(today=D(2024, 3, 13))  # exactly 7 days ahead
    assert recipients("meeting_reminder", window_days=7) == sorted(expected)
    reminders_run(today=D(2024, 3, 18))  # 2 days: still the 7-day window, already sent
    assert kinds("meeting_reminder").count() == 3
    reminders_run(today=D(2024, 3, 19))  # exactly 1 day ahead
    assert recipients("meeting_reminder", window_days=1) == sorted(expected)
    reminders_run(today=D(2024, 3, 20))
    reminders_run(today=D(2024, 3, 21))
    assert kinds("meeting_reminder").count() == 6
    assert set(kinds("meeting_reminder").values_list("meeting", flat=True)) == {meeting.pk}
    # Only people with an e-mail address get one queued.
    assert sorted(
        kinds("meeting_reminder", window_days=7).values_list("email", "email_status")
    ) == [("", "none"), ("cadre_a@example.org", "queued"), ("wang@example.org", "queued")]


def test_meeting_planned_for_today_gets_the_last_window_once(series_a, users):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 20))
    reminders_run(today=D(2024, 3, 20))
    assert kinds("meeting_reminder").count() == 3
    assert set(kinds("meeting_reminder").values_list("window_days", flat=True)) == {1}


def test_windows_are_configurable(series_a, users, settings):
    settings.GOVERNANCE_REMINDER_WINDOWS = (3,)
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 20))
    reminders_run(today=D(2024, 3, 13))
    assert not kinds("meeting_reminder").exists()
    reminders_run(today=D(2024, 3, 17))
    assert kinds("meeting_reminder", window_days=3).count() == 3


def test_unplanned_period_reminder_seven_days_before_period_end(series_a, users):
    reminders_run(today=D(2024, 4, 22))  # 8 days before 30 April
    assert not kinds("period_reminder").exists()
    reminders_run(today=D(2024, 4, 23))  # 7 days before
    assert kinds("period_reminder", period_start=D(2024, 4, 1)).count() == 3
    reminders_run(today=D(2024, 4, 30))
    assert kinds("period_reminder").count() == 3


def test_no_unplanned_reminder_when_a_meeting_is_planned(series_a, users):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 4, 29))
    reminders_run(today=D(2024, 4, 23))
    assert not kinds("period_reminder").exists()


def test_unplanned_window_follows_the_first_week_anchor(users, tree):
    from governance.services import series_create

    series_create(
        actor=users["street"],
        code="Q1W",
        name="大党委联席会议",
        kind="committee_joint",
        body=tree["community_a"],
        cadence="quarterly",
        due_within_days=7,
        starts_on=D(2024, 1, 1),
        convenor=users["cadre_a"],
    )
    reminders_run(today=D(2024, 3, 31))  # Q2 due 7 April: 7 days ahead
    assert kinds("period_reminder", period_start=D(2024, 4, 1)).count() == 0
    reminders_run(today=D(2024, 4, 1))
    assert kinds("period_reminder", period_start=D(2024, 4, 1)).count() == 1
    reminders_run(today=D(2024, 4, 8))  # the first week has passed with nothing held
    alert = kinds("meeting_overdue", period_start=D(2024, 4, 1)).get()
    assert alert.recipient == users["street"]


def test_overdue_alert_reaches_the_level_above_once(series_a, users, tree):
    reminders_run(today=D(2024, 3, 1))
    alerts = kinds("meeting_overdue", period_start=D(2024, 2, 1))
    assert list(alerts.values_list("recipient", flat=True)) == [users["street"].pk]
    assert alerts.get().organization == tree["street"]
    assert "逾期未召开" in alerts.get().title
    reminders_run(today=D(2024, 3, 1))
    reminders_run(today=D(2024, 3, 15))
    assert kinds("meeting_overdue", period_start=D(2024, 2, 1)).count() == 1
    assert not kinds("meeting_overdue", recipient=users["cadre_a"]).exists()


def test_no_overdue_alert_when_the_period_had_a_held_meeting(series_a, users):
    meeting = meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 2, 27))
    meeting_hold(actor=users["cadre_a"], meeting=meeting, held_on=D(2024, 2, 27))
    reminders_run(today=D(2024, 3, 1))
    assert not kinds("meeting_overdue").exists()


def test_planned_but_not_held_is_still_overdue(series_a, users):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 2, 27))
    reminders_run(today=D(2024, 3, 1))
    assert kinds("meeting_overdue", period_start=D(2024, 2, 1)).count() == 1


def test_no_alert_for_periods_before_the_series_started(users, tree):
    from governance.services import series_create

    series_create(
        actor=users["street"],
        code="NEW",
        name="新设议事会",
        kind="residents_council",
        body=tree["community_a"],
        cadence="monthly",
        starts_on=D(2024, 3, 1),
    )
    reminders_run(today=D(2024, 3, 10))
    assert not kinds("meeting_overdue").exists()


def test_rerun_same_day_creates_nothing(series_a, users):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    first = reminders_run(today=D(2024, 3, 1))
    total = Notification.objects.count()
    assert first.created == total > 0
    second = reminders_run(today=D(2024, 3, 1))
    assert second.created == 0
    assert second.candidates == first.candidates
    assert Notification.objects.count() == total


def test_crash_mid_insert_loses_nothing_and_retry_completes(series_a, users):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    from governance import reminders

    real = reminders.insert_or_skip

    def dying(rows, **kwargs):
        real(rows[: len(rows) // 2], **kwargs)  # half written, then the worker is lost
        raise RuntimeError("worker lost")

    with mock.patch.object(reminders, "insert_or_skip", dying), pytest.raises(RuntimeError):
        reminders_run(today=D(2024, 3, 1))
    assert Notification.objects.count() == 0  # the half insert was rolled back
    result = reminders_run(today=D(2024, 3, 1))
    assert Notification.objects.count() == result.candidates == result.created


def test_retry_after_a_committed_partial_run_adds_only_the_missing(series_a, users):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    expected = reminders_run(today=D(2024, 3, 1)).candidates
    keep = Notification.objects.order_by("id").first()
    Notification.objects.exclude(pk=keep.pk).delete()
    reminders_run(today=D(2024, 3, 1))
    assert Notification.objects.count() == expected
    assert Notification.objects.filter(pk=keep.pk).exists()


def test_email_sent_once_and_read_state_is_separate(series_a, users):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    reminders_run(today=D(2024, 3, 1))
    queued = Notification.objects.filter(email_status="queued").count()
    assert queued == 2  # cadre_a and 王物业 have addresses
    assert emails_deliver() == {"sent": 2, "failed": 0}
    assert len(mail.outbox) == 2
    assert {m.to[0] for m in mail.outbox} == {"cadre_a@example.org", "wang@example.org"}
    assert emails_deliver() == {"sent": 0, "failed": 0}
    reminders_run(today=D(2024, 3, 1))
    emails_deliver()
    assert len(mail.outbox) == 2


def test_broken_mail_server_keeps_notifications_queued_for_retry(series_a, users, settings):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    reminders_run(today=D(2024, 3, 1))
    total = Notification.objects.count()
    settings.EMAIL_BACKEND = "tests.governance.mail.FailingBackend"
    assert emails_deliver() == {"sent": 0, "failed": 2}
    rows = Notification.objects.filter(email_status="queued")
    assert rows.count() == 2
    assert all(r.email_attempts == 1 and "421" in r.email_last_error for r in rows)
    assert Notification.objects.count() == total  # nothing lost; in-app copies are there
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert emails_deliver() == {"sent": 2, "failed": 0}
    assert len(mail.outbox) == 2
    assert emails_deliver() == {"sent": 0, "failed": 0}
    assert len(mail.outbox) == 2
    assert set(Notification.objects.exclude(email="").values_list("email_attempts", flat=True)) == {
        2
    }


def test_one_failing_address_does_not_block_the_others(series_a, users):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    reminders_run(today=D(2024, 3, 1))
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages

    def picky(self, messages):
        if messages[0].to == ["wang@example.org"]:
            raise OSError("mailbox unavailable")
        return real(self, messages)

    with mock.patch.object(EmailBackend, "send_messages", picky):
        assert emails_deliver() == {"sent": 1, "failed": 1}
    assert Notification.objects.get(email="wang@example.org").email_status == "queued"
    assert emails_deliver() == {"sent": 1, "failed": 0}
    assert sorted(m.to[0] for m in mail.outbox) == ["cadre_a@example.org", "wang@example.org"]


def test_task_due_and_overdue_reminders(users, tree):
    task = task_dispatch(
        actor=users["street"],
        organization=tree["street"],
        title="清理楼道杂物",
        assignee=tree["community_a"],
        deadline=D(2024, 5, 10),
    )
    reminders_run(today=D(2024, 5, 8))
    assert not kinds("task_reminder").exists()
    reminders_run(today=D(2024, 5, 9))
    assignee_side = sorted([f"u:{users['cadre_a'].pk}", f"u:{users['grid_a'].pk}"])
    assert recipients("task_reminder") == assignee_side
    task_accept(actor=users["cadre_a"], task=task)
    reminders_run(today=D(2024, 5, 11))
    reminders_run(today=D(2024, 5, 12))
    assert recipients("task_overdue") == sorted([*assignee_side, f"u:{users['street'].pk}"])


def test_finished_tasks_are_not_reminded(users, tree):
    from governance.services import task_complete

    task = task_dispatch(
        actor=users["street"],
        organization=tree["street"],
        title="修路灯",
        assignee=tree["community_a"],
        deadline=D(2024, 5, 10),
    )
    task_accept(actor=users["cadre_a"], task=task)
    task_complete(actor=users["cadre_a"], task=task)
    reminders_run(today=D(2024, 5, 20))
    assert not Notification.objects.filter(task=task).exists()


def test_celery_task_runs_the_job_and_delivers(series_a, users, django_capture_on_commit_callbacks):
    from governance.tasks import send_daily_reminders

    with mock.patch("governance.cadence.shanghai_today", return_value=D(2024, 3, 1)):
        meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
        with django_capture_on_commit_callbacks(execute=True):
            result = send_daily_reminders.delay().get()
    assert result["created"] == Notification.objects.count() > 0
    assert len(mail.outbox) == 2  # the outbox task ran after the commit
    assert not Notification.objects.filter(email_status="queued").exists()


def _pg_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions and row locks (SQLite has neither)")


def _in_threads(n, target):
    barrier = threading.Barrier(n)
    errors = []
    results = []

    def run():
        from django.db import connections

        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_create_each_notification_once(series_a, co_series, users, tree):
    _pg_only()
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    task_dispatch(
        actor=users["street"],
        organization=tree["street"],
        title="并发测试派单",
        assignee=tree["community_b"],
        deadline=D(2024, 2, 20),
    )
    results = _in_threads(2, lambda: reminders_run(today=D(2024, 3, 1)))
    candidates = results[0].candidates
    assert candidates == results[1].candidates > 0
    assert Notification.objects.count() == candidates
    keys = list(Notification.objects.values_list("dedup_key", "recipient_key"))
    assert len(keys) == len(set(keys))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_send_each_email_once(series_a, users):
    _pg_only()
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    for n in range(40):  # enough queued rows for both deliverers to find work
        Notification.objects.create(
            recipient_key=f"e:p{n}@example.org",
            email=f"p{n}@example.org",
            dedup_key="load",
            kind="meeting_reminder",
            title=f"提醒 {n}",
            email_status="queued",
        )
    results = _in_threads(2, lambda: emails_deliver(batch_size=5))
    assert sum(r["sent"] for r in results) == 40
    assert len(mail.outbox) == 40
    assert len({m.to[0] for m in mail.outbox}) == 40
    assert not Notification.objects.filter(email_status="queued").exists()


def _many_series(n, tree, users):
    """n series of community A over the four cadences, three members each, a meeting planned in
    the 7-day window for every other one and a held meeting in the last closed period for every
    third (so all four kinds of series occasion occur)."""
    from governance.cadence import last_closed_period
    from governance.models import Meeting, MeetingSeries, SeriesMember

    today = D(2024, 3, 25)
    cadences = ["weekly", "monthly", "quarterly", "yearly"]
    created = MeetingSeries.objects.bulk_create(
        MeetingSeries(
            code=f"QC-{n}-{i}",
            name=f"联席会议 {i}",
            kind="custom",
            body=tree["community_a"],
            cadence=cadences[i % 4],
            starts_on=D(2023, 1, 1),
            convenor=users["cadre_a"],
        )
        for i in range(n)
    )
    series = list(MeetingSeries.objects.filter(pk__in=[s.pk for s in created]).order_by("id"))
    SeriesMember.objects.bulk_create(
        SeriesMember(
            series=s, kind="unit_liaison", name=f"成员{k}", email=f"m{s.pk}-{k}@example.org"
        )
        for s in series
        for k in range(3)
    )
    meetings = []
    for i, s in enumerate(series):
        if i % 2 == 0:
            day = today + dt.timedelta(days=i % 7)
            meetings.append(
                Meeting(
                    code=f"{s.code}-P",
                    series=s,
                    period_start=day,
                    period_end=day,
                    title=f"{s.name} 计划",
                    planned_on=day,
                )
            )
        if i % 3 == 0:
            closed = last_closed_period(s.cadence, today)
            meetings.append(
                Meeting(
                    code=f"{s.code}-H",
                    series=s,
                    period_start=closed.start,
                    period_end=closed.end,
                    title=f"{s.name} 已开",
                    planned_on=closed.start,
                    held_on=closed.start,
                    status="held",
                )
            )
    Meeting.objects.bulk_create(meetings)
    return today


def _run_counted(today):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = reminders_run(today=today)
    sqls = [q["sql"] for q in queries.captured_queries]
    inserts = [s for s in sqls if s.lstrip().upper().startswith("INSERT")]
    return result, len(sqls), len(sqls) - len(inserts), len(inserts)


def test_reminder_run_query_count_does_not_grow_with_the_series(users, tree):
    """5 and 50 series: the same reads; on PostgreSQL the same statements altogether (one
    INSERT … unnest). SQLite's bulk_create splits the rows by its 999-parameter limit, so only
    the reads are compared there. A second run the same day issues the same reads and no
    INSERT at all, whatever the number of series."""
    counts = {}
    for n in (5, 50):
        Notification.objects.all().delete()
        from governance.models import MeetingSeries

        MeetingSeries.objects.filter(code__startswith="QC-").update(active=False)
        today = _many_series(n, tree, users)
        first, total, reads, inserts = _run_counted(today)
        assert first.created == Notification.objects.count() > 3 * n  # every kind occurred
        assert {"meeting_reminder", "period_reminder", "meeting_overdue"} <= set(first.by_kind)
        second, total2, reads2, inserts2 = _run_counted(today)
        assert second.created == 0 and inserts2 == 0
        assert second.already_stored == second.candidates == first.candidates
        counts[n] = (total, reads, total2)
    assert counts[5][1] == counts[50][1], counts
    assert counts[5][2] == counts[50][2], counts
    if connection.vendor == "postgresql":
        assert counts[5][0] == counts[50][0], counts


def test_second_run_reaches_a_member_added_since_the_first(series_a, users):
    """The skip of stored rows is per recipient: an occasion already reminded still reaches a
    member who joined after the first run, and nobody else a second time."""
    from governance.services import member_add

    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    first = reminders_run(today=D(2024, 3, 1))
    before = set(Notification.objects.values_list("dedup_key", "recipient_key"))
    member_add(
        actor=users["street"],
        series=series_a,
        kind="unit_liaison",
        name="新成员",
        unit_name="新单位",
        email="new@example.org",
    )
    second = reminders_run(today=D(2024, 3, 1))
    after = set(Notification.objects.values_list("dedup_key", "recipient_key"))
    new = after - before
    assert new and {key for _, key in new} == {"e:new@example.org"}
    assert second.created == len(new)
    assert second.already_stored == first.candidates


def test_garbage_collector_is_back_on_after_a_run_even_a_failed_one(series_a, users):
    import gc

    from governance import reminders

    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    with (
        mock.patch.object(reminders, "insert_or_skip", side_effect=RuntimeError("lost")),
        pytest.raises(RuntimeError),
    ):
        reminders_run(today=D(2024, 3, 1))
    assert gc.isenabled()
    assert reminders_run(today=D(2024, 3, 1)).created > 0
    assert gc.isenabled()
