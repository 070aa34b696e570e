"""Notices to the reporter by SMS: each status change is told once, through a pluggable
gateway; a rate-limited (429) or down gateway is tried again later, nothing lost, nothing sent
twice; the text names only the tracking code; a resident can opt out."""

import io
import json
import urllib.error
from datetime import timedelta

import pytest
from django.utils import timezone

from core.sms import HttpGatewayBackend, SmsRateLimited, SmsRejected, SmsUnavailable
from grids.models import Case, CaseNotice
from grids.services.cases import case_accept, case_dispatch, case_report, case_resolve
from grids.services.notices import deliver_case_sms, requeue_stale_sms

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


class FakeGateway:
    """Records what it delivered; ``failures`` is a list of exceptions raised first."""

    sent: list = []
    failures: list = []

    def send(self, *, phone, text, client_ref):
        if FakeGateway.failures:
            raise FakeGateway.failures.pop(0)
        FakeGateway.sent.append((phone, text, client_ref))
        return f"gw-{len(FakeGateway.sent)}"


@pytest.fixture
def gateway(settings):
    settings.SMS_BACKEND = "tests.grids.test_case_sms.FakeGateway"
    settings.SMS_MAX_ATTEMPTS = 4
    FakeGateway.sent = []
    FakeGateway.failures = []
    return FakeGateway


@pytest.fixture
def queued(monkeypatch):
    """The ids each step queued (the outbox call), instead of a broker."""
    ids = []
    monkeypatch.setattr(
        "grids.services.notices.enqueue", lambda task, *args: ids.append((task, *args))
    )
    return ids


def _portal_case(roster):
    return case_report(
        source="portal",
        reporter_name="王阿姨",
        reporter_phone=PHONE,
        category="environment",
        description="垃圾没清",
        building=roster["building"],
    )


@pytest.fixture
def roster(tree):
    from grids.models import Building, Compound, Grid, GridWorker

    grid = Grid.objects.create(
        code="G1", name="第一网格", level="grid", community=tree["community_a"]
    )
    worker = GridWorker.objects.create(code="G1-W1", grid=grid, role="full_time", name="赵网格")
    compound = Compound.objects.create(code="A-CH", name="春晖家园", community=tree["community_a"])
    building = Building.objects.create(
        code="B1", name="3号楼", compound=compound, community=tree["community_a"], grid=grid
    )
    return {"grid": grid, "worker": worker, "building": building}


def _through_resolution(users, roster):
    case = _portal_case(roster)
    case = case_accept(actor=users["cadre_a"], case=case, triage="minor")
    case = case_dispatch(
        actor=users["cadre_a"], case=case, kind="grid_worker", target=roster["worker"]
    )
    return case_resolve(actor=users["cadre_a"], case=case, resolution="已清理")


def test_each_status_change_queues_one_sms_with_only_the_code(gateway, queued, users, roster):
    case = _through_resolution(users, roster)
    notices = list(CaseNotice.objects.filter(case=case, audience="resident").order_by("pk"))
    assert [n.event.action for n in notices] == ["accept", "dispatch", "resolve"]
    assert all(n.sms_status == "queued" for n in notices)
    assert [args[1] for args in queued] == [n.pk for n in notices]
    for n in notices:
        assert case.tracking_code in n.text and "王" not in n.text and PHONE not in n.text
    for n in notices:
        assert deliver_case_sms(n.pk)["state"] == "sent"
    assert len(gateway.sent) == 3 and {s[0] for s in gateway.sent} == {PHONE}
    # delivered again (a duplicate task, the sweep): nothing sent twice
    for n in notices:
        assert deliver_case_sms(n.pk)["state"] == "done"
    assert len(gateway.sent) == 3
    assert CaseNotice.objects.filter(sms_status="sent", sms_attempts=1).count() == 3


def test_rate_limited_and_down_gateway_wait_and_retry_then_send_once(
    gateway, queued, users, roster
):
    case = case_accept(actor=users["cadre_a"], case=_portal_case(roster), triage="minor")
    notice = CaseNotice.objects.get(case=case, audience="resident")
    gateway.failures = [SmsRateLimited("429", retry_after=120), SmsUnavailable("down")]
    first = deliver_case_sms(notice.pk)
    assert first["state"] == "retry" and first["countdown"] >= 120
    assert deliver_case_sms(notice.pk)["state"] == "not_due"  # too early: not tried
    CaseNotice.objects.filter(pk=notice.pk).update(sms_next_at=timezone.now())
    assert deliver_case_sms(notice.pk)["state"] == "retry"  # gateway down
    CaseNotice.objects.filter(pk=notice.pk).update(sms_next_at=timezone.now())
    assert deliver_case_sms(notice.pk)["state"] == "sent"
    notice.refresh_from_db()
    assert notice.sms_status == "sent" and notice.sms_attempts == 3
    assert len(gateway.sent) == 1


def test_gateway_down_for_good_ends_failed_and_is_logged(gateway, queued, users, roster):
    case = case_accept(actor=users["cadre_a"], case=_portal_case(roster), triage="minor")
    notice = CaseNotice.objects.get(case=case, audience="resident")
    gateway.failures = [SmsUnavailable("连不上短信网关")] * 4
    for _ in range(4):
        CaseNotice.objects.filter(pk=notice.pk).update(sms_next_at=None)
        deliver_case_sms(notice.pk)
    notice.refresh_from_db()
    assert notice.sms_status == "failed" and notice.sms_attempts == 4
    assert "连不上" in notice.sms_error and gateway.sent == []


def test_rejected_message_is_not_retried(gateway, queued, users, roster):
    case = case_accept(actor=users["cadre_a"], case=_portal_case(roster), triage="minor")
    notice = CaseNotice.objects.get(case=case, audience="resident")
    gateway.failures = [SmsRejected("HTTP 400")]
    assert deliver_case_sms(notice.pk)["state"] == "failed"


def test_opted_out_resident_gets_no_sms_but_the_portal_notice(gateway, queued, users, roster, tree):
    from portal.accounts import resident_register

    profile = resident_register(
        name="王阿姨", phone=PHONE, password="Yuanlin-2026!", community=tree["community_a"]
    )
    profile.sms_opt_out = True
    profile.save()
    case = case_accept(actor=users["cadre_a"], case=_portal_case(roster), triage="minor")
    notice = CaseNotice.objects.get(case=case, audience="resident")
    assert notice.sms_status == "skipped" and queued == []


def test_sms_off_writes_portal_notices_only(settings, queued, users, roster):
    settings.SMS_BACKEND = ""
    case = case_accept(actor=users["cadre_a"], case=_portal_case(roster), triage="minor")
    assert CaseNotice.objects.get(case=case, audience="resident").sms_status == "none"
    assert queued == []


def test_stale_queued_sms_are_requeued(gateway, queued, users, roster):
    case = case_accept(actor=users["cadre_a"], case=_portal_case(roster), triage="minor")
    notice = CaseNotice.objects.get(case=case, audience="resident")
    queued.clear()
    assert requeue_stale_sms() == 0  # just queued: its own task is on the way
    later = timezone.now() + timedelta(minutes=11)
    assert requeue_stale_sms(now=later) == 1 and queued[0][1] == notice.pk


class WorkerDied(BaseException):
    """The worker process is killed (SIGKILL, OOM, a deploy) in the middle of a send: not an
    Exception, so nothing in the service catches it; its transaction is rolled back."""


class IdempotentGateway:
    """A gateway that honours ``client_ref``: a message it has already accepted under that key
    is acknowledged again, not delivered again. ``die_after_accepting`` kills the worker once,
    after the gateway accepted the message but before our commit."""

    delivered: list = []
    calls: list = []
    die_after_accepting = False

    def send(self, *, phone, text, client_ref):
        IdempotentGateway.calls.append(client_ref)
        if client_ref not in {ref for ref, _ in IdempotentGateway.delivered}:
            IdempotentGateway.delivered.append((client_ref, text))
        if IdempotentGateway.die_after_accepting:
            IdempotentGateway.die_after_accepting = False
            raise WorkerDied
        return f"gw-{client_ref}"


def test_worker_dying_mid_send_is_retried_and_delivered_once(settings, queued, users, roster):
    """The resend gap: a notice being sent when its worker dies stays queued (the claim is the
    row lock of the sending transaction, so it goes with the worker), the sweep queues it again,
    and the retry carries the same idempotency key, so the gateway delivers it once."""
    settings.SMS_BACKEND = "tests.grids.test_case_sms.IdempotentGateway"
    IdempotentGateway.delivered, IdempotentGateway.calls = [], []
    case = case_accept(actor=users["cadre_a"], case=_portal_case(roster), triage="minor")
    notice = CaseNotice.objects.get(case=case, audience="resident")
    IdempotentGateway.die_after_accepting = True
    with pytest.raises(WorkerDied):
        deliver_case_sms(notice.pk)
    notice.refresh_from_db()
    assert notice.sms_status == "queued" and notice.sms_attempts == 0  # not lost, not "sent"
    queued.clear()
    assert requeue_stale_sms(now=timezone.now() + timedelta(minutes=11)) == 1
    assert deliver_case_sms(queued[0][1])["state"] == "sent"
    assert deliver_case_sms(notice.pk)["state"] == "done"  # a duplicate task sends nothing
    ref = f"case-notice-{notice.pk}"
    assert IdempotentGateway.calls == [ref, ref]  # retried with the same key…
    assert len(IdempotentGateway.delivered) == 1  # …and delivered once
    notice.refresh_from_db()
    assert notice.sms_status == "sent" and notice.sms_reference == f"gw-{ref}"


def test_patrol_cases_tell_no_resident(gateway, queued, users, roster):
    case = case_report(
        actor=users["cadre_a"],
        source="patrol",
        reporter_name="赵网格",
        reporter_phone="13944445555",
        category="environment",
        description="巡查发现垃圾",
        building=roster["building"],
    )
    case_accept(actor=users["cadre_a"], case=case, triage="minor")
    assert not CaseNotice.objects.filter(case=case).exists()


class _Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize(
    "code, error",
    [(429, SmsRateLimited), (503, SmsUnavailable), (400, SmsRejected)],
)
def test_http_gateway_maps_answers(code, error):
    backend = HttpGatewayBackend(url="http://gw.invalid/send", token="t", timeout=1)

    def fail(request):
        headers = {"Retry-After": "30"}
        raise urllib.error.HTTPError(request.full_url, code, "x", headers, None)

    backend._open = fail
    with pytest.raises(error) as exc:
        backend.send(phone=PHONE, text="t", client_ref="case-notice-1")
    if code == 429:
        assert exc.value.retry_after == 30


def test_http_gateway_posts_json_with_the_idempotency_key():
    seen = {}
    backend = HttpGatewayBackend(url="http://gw.invalid/send", token="secret", timeout=1)

    def ok(request):
        seen["body"] = json.loads(request.data)
        seen["auth"] = request.get_header("Authorization")
        return _Response(b'{"id": "m-1"}')

    backend._open = ok
    assert backend.send(phone=PHONE, text="您反映的问题", client_ref="case-notice-7") == "m-1"
    assert seen["body"] == {"phone": PHONE, "text": "您反映的问题", "client_ref": "case-notice-7"}
    assert seen["auth"] == "Bearer secret"


def test_http_gateway_down_is_unavailable():
    backend = HttpGatewayBackend(url="http://127.0.0.1:9/send", token="", timeout=1)
    with pytest.raises(SmsUnavailable):
        backend.send(phone=PHONE, text="t", client_ref="r")


def test_admin_lists_the_delivery_log(admin_client_for, users, gateway, queued, roster):
    case = case_accept(actor=users["cadre_a"], case=_portal_case(roster), triage="minor")
    response = admin_client_for(users["cadre_a"]).get("/admin/grids/casenotice/")
    assert response.status_code == 200 and case.tracking_code in response.content.decode()
    assert Case.objects.count() == 1
