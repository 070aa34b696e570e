"""Webhooks end to end on the database with tasks in-process (the real worker is in
test_worker.py): signing checked with an independent HMAC, retries and back-off, a 500 and a
hanging receiver, private URLs, a secret rotated mid-flight, auto-disable with the owner's
alert, redeliver, scope, personal data, and the events of the services."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.events import emit
from core.models import AuditLog, SensitiveAccessLog
from governance.models import Notification
from grids.services.cases import case_accept, case_report
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, DeliveryAttempt, Endpoint
from webhooks.services import deliver, endpoint_rotate_secret, endpoint_save, sweep

pytestmark = pytest.mark.django_db


def make_endpoint(user, org, url, kinds=("case.report",), code="ep", **extra) -> Endpoint:
    return endpoint_save(
        actor=user,
        endpoint=Endpoint(
            code=code, name=code, url=url, organization=org, event_kinds=list(kinds), **extra
        ),
    )


def report(roster, building="b1", **extra):
    return case_report(
        source="portal",
        reporter_name="张三",
        reporter_phone="13812345678",
        category="environment",
        description="楼道堆放杂物",
        building=roster["buildings"][building],
        **extra,
    )


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does (docs/webhooks.md), written independently of the signer."""
    timestamp = headers["X-Webhook-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + expected.hexdigest(), headers["X-Signature"])


def due_now(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1),
        claimed_until=timezone.now() - timedelta(seconds=1),
    )


def test_a_case_event_is_posted_signed_with_ids_and_codes_only(
    users, roster, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(
        users["street"], roster["buildings"]["b1"].grid.community, receiver.url
    )
    assert len(endpoint.secret) >= 32  # generated
    with django_capture_on_commit_callbacks(execute=True):
        case = report(roster)
    (got,) = receiver.wait_for(1)
    delivery = Delivery.objects.get()
    assert verify(endpoint.secret, got.headers, got.body)
    assert not verify("another secret", got.headers, got.body)
    assert got.headers["X-Webhook-Id"] == str(delivery.pk)
    assert got.headers["X-Webhook-Event"] == "case.report"
    assert got.headers["Content-Type"].startswith("application/json")
    body = json.loads(got.body)
    assert body["event"] == "case.report" and body["id"] == str(delivery.event_id)
    assert body["object"] == {
        "type": "grids.case",
        "id": case.pk,
        "code": case.tracking_code,
        "status": "reported",
    }
    assert body["organization"]["code"] == "A"
    assert body["occurred_at"].endswith("+08:00")
    text = got.body.decode()
    assert "13812345678" not in text and "张三" not in text and "personal" not in body
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    (attempt,) = delivery.log.all()
    assert attempt.success and attempt.status_code == 200 and attempt.duration_ms >= 0
    assert '"ok": true' in attempt.response_excerpt
    # A delivered row is never sent again.
    assert deliver(delivery.pk) == "skipped"
    assert sweep() == {"reclaimed": 0, "queued": 0}
    assert len(receiver.received) == 1


def test_a_500_is_retried_with_back_off_until_delivered(
    users, tree, roster, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 10
    settings.WEBHOOK_BACKOFF_CAP_SECONDS = 30
    receiver.statuses = [500, 503, 500, 200]
    make_endpoint(users["street"], tree["street"], receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        report(roster)
    delivery = Delivery.objects.get()
    waits = []
    for expected in (1, 2, 3):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == expected
        waits.append(round((delivery.next_attempt_at - timezone.now()).total_seconds()))
        assert sweep()["queued"] == 0  # not due yet
        due_now(delivery)
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep()["queued"] == 1
    assert waits == [10, 20, 30]  # base × 2^(n−1), capped at 30
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 4
    log = list(delivery.log.values_list("number", "status_code", "success"))
    assert log == [(1, 500, False), (2, 503, False), (3, 500, False), (4, 200, True)]
    assert len(receiver.received) == 4
    ids = {r.headers["X-Webhook-Id"] for r in receiver.received}
    assert ids == {str(delivery.pk)}  # one idempotency key for every try
    assert Endpoint.objects.get().consecutive_failures == 0


def test_a_hanging_receiver_times_out_and_is_retried(
    users, tree, roster, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.delay = 3
    make_endpoint(users["street"], tree["street"], receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        report(roster)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    (attempt,) = delivery.log.all()
    assert attempt.status_code is None and "超时" in attempt.error
    assert 900 <= attempt.duration_ms < 2900


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "http://user:pw@example.com/hook",
    ],
)
def test_private_and_non_http_urls_are_refused_at_save(users, tree, url):
    with pytest.raises(ValidationError) as caught:
        make_endpoint(users["street"], tree["street"], url)
    assert "url" in caught.value.message_dict
    assert not Endpoint.objects.exists()


def test_the_admin_form_refuses_a_private_url(users, tree, admin_client_for):
    client = admin_client_for(users["street"])
    response = client.post(
        "/admin/webhooks/endpoint/add/",
        {"code": "x", "name": "x", "url": "http://127.0.0.1/hook", "event_kinds": ["case.report"],
         "organization": tree["street"].pk, "active": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "内网" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_an_address_that_became_private_is_refused_at_delivery(
    users, tree, roster, receiver, settings, django_capture_on_commit_callbacks
):
    make_endpoint(users["street"], tree["street"], receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False  # e.g. DNS now answers 127.0.0.1
    with django_capture_on_commit_callbacks(execute=True):
        report(roster)
    (attempt,) = DeliveryAttempt.objects.all()
    assert "内网" in attempt.error and attempt.status_code is None
    assert receiver.received == []


def test_a_secret_rotated_mid_flight_signs_the_retry_with_both(
    users, tree, roster, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500, 200]
    endpoint = make_endpoint(users["street"], tree["street"], receiver.url)
    old = endpoint.secret
    with django_capture_on_commit_callbacks(execute=True):
        report(roster)
    first = receiver.received[0]
    assert verify(old, first.headers, first.body) and "X-Signature-Previous" not in first.headers
    new = endpoint_rotate_secret(actor=users["street"], endpoint=endpoint).secret
    assert new != old
    due_now(Delivery.objects.get())
    with django_capture_on_commit_callbacks(execute=True):
        sweep()
    second = receiver.received[1]
    assert second.body == first.body  # the same event, signed afresh
    assert verify(new, second.headers, second.body)
    previous = {**second.headers, "X-Signature": second.headers["X-Signature-Previous"]}
    assert verify(old, previous, second.body)  # a receiver still on the old secret accepts it
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_repeated_failures_disable_the_endpoint_and_alert_the_owner(
    users, tree, roster, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owner = users["street"]
    owner.email = "street@example.gov.cn"
    owner.save()
    receiver.statuses = [500]
    endpoint = make_endpoint(owner, tree["street"], receiver.url)
    assert endpoint.owner == owner
    with django_capture_on_commit_callbacks(execute=True):
        report(roster)
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.consecutive_failures == 1
    with django_capture_on_commit_callbacks(execute=True):
        report(roster, building="b2")
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None
    assert "HTTP 500" in endpoint.disabled_reason
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    note = Notification.objects.get(recipient=owner)
    assert "已自动停用" in note.title and endpoint.url in note.body
    assert [m.to for m in mail.outbox] == [["street@example.gov.cn"]]
    assert AuditLog.objects.filter(action="webhook_endpoint.disable").count() == 1
    # Switched off: new events write nothing, nothing is posted.
    with django_capture_on_commit_callbacks(execute=True):
        report(roster)
    assert Delivery.objects.count() == 2 and len(receiver.received) == 2
    # Enabled again in the admin: the count starts again.
    endpoint.active = True
    endpoint.secret = ""
    endpoint_save(actor=owner, endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.disabled_at is None


def test_redeliver_from_the_admin_sends_a_delivered_row_again(
    users, tree, roster, receiver, admin_client_for, django_capture_on_commit_callbacks
):
    make_endpoint(users["street"], tree["street"], receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        report(roster)
    delivery = Delivery.objects.get()
    client = admin_client_for(users["street"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/webhooks/delivery/",
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )
    assert response.status_code == 302
    assert len(receiver.received) == 2
    assert {r.headers["X-Webhook-Id"] for r in receiver.received} == {str(delivery.pk)}
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.log.count() == 2
    assert AuditLog.objects.filter(action="webhook_delivery.redeliver").count() == 1
    page = client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/")
    assert page.status_code == 200 and "响应摘要" in page.content.decode()


def test_an_endpoint_of_community_a_never_gets_community_b_events(
    users, tree, roster, receiver, django_capture_on_commit_callbacks
):
    a = make_endpoint(users["street"], tree["community_a"], receiver.url, code="a")
    street = make_endpoint(users["street"], tree["street"], receiver.url, code="s")
    with django_capture_on_commit_callbacks(execute=True):
        report(roster, building="bb")  # community B
    assert list(Delivery.objects.values_list("endpoint", flat=True)) == [street.pk]
    with django_capture_on_commit_callbacks(execute=True):
        report(roster, building="b1")  # community A
    assert Delivery.objects.filter(endpoint=a).count() == 1
    assert Delivery.objects.filter(endpoint=street).count() == 2
    # and only the kinds it subscribed to
    case = Delivery.objects.filter(endpoint=a).get().payload["object"]["id"]
    from grids.models import Case

    with django_capture_on_commit_callbacks(execute=True):
        case_accept(actor=users["cadre_a"], case=Case.objects.get(pk=case), triage="minor")
    assert Delivery.objects.count() == 3


def test_a_community_secretary_cannot_see_or_manage_endpoints(
    users, tree, receiver, admin_client_for
):
    make_endpoint(users["street"], tree["community_a"], receiver.url)
    client = admin_client_for(users["cadre_a"])
    assert client.get("/admin/webhooks/endpoint/").status_code == 403
    assert client.get("/admin/webhooks/delivery/").status_code == 403
    street = admin_client_for(users["street"])
    assert street.get("/admin/webhooks/endpoint/").status_code == 200


@pytest.mark.parametrize("owner_key, flag, revealed", [
    ("street", True, True),  # the street admin holds core.view_sensitive
    ("street", False, False),  # not asked for
    ("cadre_b", True, False),  # a cadre without the reveal permission
])  # fmt: skip
def test_personal_data_only_for_a_flagged_endpoint_whose_owner_may_reveal(
    users, tree, roster, receiver, owner_key, flag, revealed, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(
        users["street"], tree["street"], receiver.url, include_personal_data=flag
    )
    Endpoint.objects.filter(pk=endpoint.pk).update(owner=users[owner_key])
    with django_capture_on_commit_callbacks(execute=True):
        report(roster)
    body = json.loads(receiver.wait_for(1)[0].body)
    if revealed:
        assert body["personal"] == {"reporter_phone": "13812345678", "reporter_name": "张三"}
        log = SensitiveAccessLog.objects.get()
        assert log.actor == users["street"] and "Webhook" in log.purpose
    else:
        assert "personal" not in body and not SensitiveAccessLog.objects.exists()


def test_a_worker_that_died_mid_send_is_picked_up_by_the_sweep(
    users, tree, roster, receiver, django_capture_on_commit_callbacks
):
    make_endpoint(users["street"], tree["street"], receiver.url)
    report(roster)  # committed callbacks not run: as if the task were lost
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep() == {"reclaimed": 1, "queued": 1}
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert len(receiver.received) == 1


def test_a_claimed_row_is_not_claimed_twice(users, tree, roster, receiver):
    from webhooks.services import claim

    make_endpoint(users["street"], tree["street"], receiver.url)
    report(roster)
    delivery = Delivery.objects.get()
    assert claim(delivery.pk) is not None
    assert claim(delivery.pk) is None
    assert deliver(delivery.pk) == "skipped"


def test_events_nobody_listens_to_cost_no_query(users, tree, receiver, django_assert_num_queries):
    make_endpoint(users["street"], tree["street"], receiver.url, kinds=["meeting.plan"])
    emit("case.report", organization=tree["community_a"])  # fills the cache
    with django_assert_num_queries(0):
        emit("case.report", organization=tree["community_a"])
        emit("member.update", organization=tree["community_a"])


def test_unknown_event_kinds_are_refused(users, tree, receiver):
    with pytest.raises(ValidationError) as caught:
        make_endpoint(users["street"], tree["street"], receiver.url, kinds=["case.eaten"])
    assert "event_kinds" in caught.value.message_dict


def test_one_task_posts_over_one_kept_alive_connection_and_checks_the_address_once(
    users, roster, settings, django_capture_on_commit_callbacks, monkeypatch
):
    """A batch reuses the receiver's persistent connection (no TCP connect per delivery) and
    resolves the endpoint's address once, not per delivery."""
    from tests.webhooks.receiver import Receiver
    from webhooks.services import delivery as delivery_service

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    server = Receiver(keep_alive=True)
    checks = []
    real_check = delivery_service.check_url
    monkeypatch.setattr(
        delivery_service, "check_url", lambda url: checks.append(url) or real_check(url)
    )
    try:
        make_endpoint(users["street"], roster["buildings"]["b1"].grid.community, server.url)
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(5):
                report(roster)
        got = server.wait_for(5)
    finally:
        server.close()
    assert len(got) == 5
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 5
    assert len({r.client_port for r in got}) == 1  # one connection for the five posts
    assert checks == [server.url]  # the address checked once for the batch
