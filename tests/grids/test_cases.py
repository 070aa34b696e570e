"""The case workflow: transitions, scope, triage and dispatch, deadlines and overdue flags,
tracking codes, reopening, desk filing, duplicates, figures, history and audit rows."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditLog
from grids.models import Case
from grids.models.cases import TRACKING_ALPHABET
from grids.selectors import case_figures, case_possible_duplicates, case_track_summary
from grids.services.cases import (
    case_accept,
    case_acknowledge,
    case_dispatch,
    case_evaluate,
    case_file_at_desk,
    case_reopen,
    case_report,
    case_resolve,
    case_track,
)


def portal_case(roster, *, category="environment", building="b1", **extra):
    return case_report(
        source="portal",
        reporter_name="张三",
        reporter_phone="13812345678",
        category=category,
        description="楼道堆放杂物",
        building=roster["buildings"][building],
        **extra,
    )


def dispatched(users, roster, **kw):
    case = portal_case(roster, **kw)
    case_accept(actor=users["cadre_a"], case=case, triage="minor")
    return case_dispatch(
        actor=users["cadre_a"], case=case, kind="grid_worker", target=roster["workers"]["worker"]
    )


def test_full_flow_keeps_every_step_with_actor_and_time(users, roster):
    case = portal_case(roster)
    assert case.status == "reported" and case.community == roster["buildings"]["b1"].community
    assert case.grid == roster["buildings"]["b1"].grid
    case_accept(actor=users["cadre_a"], case=case, triage="minor")
    case_dispatch(
        actor=users["cadre_a"], case=case, kind="grid_worker", target=roster["workers"]["worker"]
    )
    case_resolve(actor=users["grid_a"], case=case, resolution="已清理")
    case = case_evaluate(case=case, satisfaction=5, comment="很快", phone_last4="5678")
    assert case.status == "evaluated" and case.satisfaction == 5
    events = list(case.events.values_list("action", "from_status", "to_status", "actor_id"))
    assert events == [
        ("report", "", "reported", None),
        ("accept", "reported", "accepted", users["cadre_a"].pk),
        ("dispatch", "accepted", "dispatched", users["cadre_a"].pk),
        ("resolve", "dispatched", "resolved", users["grid_a"].pk),
        ("evaluate", "resolved", "evaluated", None),
    ]
    assert all(e.created_at for e in case.events.all())
    assert case.events.get(action="evaluate").actor_name == "居民 张*"
    assert AuditLog.objects.filter(target_type="grids.case", target_id=str(case.pk)).count() == 5
    assert case.resolution_level == "grid" and case.resolved_on_time is True


@pytest.mark.parametrize(
    "step",
    [
        lambda u, c, r: case_evaluate(case=c, satisfaction=4, actor=u["cadre_a"]),
        lambda u, c, r: case_resolve(actor=u["cadre_a"], case=c, resolution="x"),
        lambda u, c, r: case_dispatch(
            actor=u["cadre_a"], case=c, kind="grid_worker", target=r["workers"]["worker"]
        ),
        lambda u, c, r: case_reopen(case=c, reason="x", actor=u["cadre_a"]),
    ],
)
def test_steps_out_of_order_are_refused(users, roster, step):
    case = portal_case(roster)
    with pytest.raises(ValidationError) as exc:
        step(users, case, roster)
    assert "当前为“已上报”" in str(exc.value)
    case.refresh_from_db()
    assert case.status == "reported" and case.events.count() == 1


def test_evaluated_before_resolved_is_refused(users, roster):
    case = dispatched(users, roster)
    with pytest.raises(ValidationError):
        case_evaluate(case=case, satisfaction=5, phone_last4="5678")
    case.refresh_from_db()
    assert case.status == "dispatched" and case.satisfaction is None


def test_resolved_by_someone_outside_scope_is_refused(users, roster):
    case = dispatched(users, roster)
    with pytest.raises(PermissionDenied):
        case_resolve(actor=users["cadre_b"], case=case, resolution="x")
    case.refresh_from_db()
    assert case.status == "dispatched" and not case.events.filter(action="resolve").exists()


def test_anonymous_cannot_run_staff_steps(users, roster):
    case = portal_case(roster)
    with pytest.raises(PermissionDenied):
        case_accept(actor=None, case=case, triage="minor")


def department_with_user(tree, users, name="区住建局"):
    """A department of the street with its own login (吹哨报到: the department acts itself)."""
    from grids.models import Department, DeskAccount
    from grids.services.departments import desk_account_save
    from tests.conftest import make_user

    department, _ = Department.objects.get_or_create(
        code=f"D-{name}", defaults={"name": name, "street": tree["street"]}
    )
    account = DeskAccount.objects.filter(department=department).select_related("user").first()
    if account is None:
        user = make_user(f"dept_{department.code}")
        desk_account_save(
            actor=users["street"], account=DeskAccount(user=user, department=department)
        )
        return department, type(user).objects.get(pk=user.pk)
    return department, account.user


def test_major_cases_are_escalated_with_an_acknowledgement_deadline(settings, users, roster, tree):
    settings.GRIDS_DEPARTMENT_DEADLINES = {"facilities": (2, 7)}
    department, dept_user = department_with_user(tree, users)
    case = portal_case(roster, category="facilities")
    case_accept(actor=users["cadre_a"], case=case, triage="major")
    with pytest.raises(ValidationError):
        case_dispatch(
            actor=users["cadre_a"],
            case=case,
            kind="grid_worker",
            target=roster["workers"]["worker"],
        )
    with pytest.raises(ValidationError):
        case_dispatch(actor=users["cadre_a"], case=case, kind="department")
    case = case_dispatch(actor=users["cadre_a"], case=case, kind="department", target=department)
    assert (
        timedelta(hours=1, minutes=59) < case.ack_due_at - case.dispatched_at <= timedelta(hours=2)
    )
    assert not case.is_ack_overdue()
    assert case.is_ack_overdue(now=timezone.now() + timedelta(hours=3))
    case = case_acknowledge(actor=dept_user, case=case, note="住建局已报到")
    assert case.acknowledged_at and not case.is_ack_overdue(now=timezone.now() + timedelta(hours=3))
    with pytest.raises(ValidationError):
        case_acknowledge(actor=dept_user, case=case)
    case = case_resolve(actor=dept_user, case=case, resolution="已维修")
    assert case.resolution_level == "escalated"


def test_minor_cases_cannot_be_escalated(users, roster):
    case = portal_case(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="minor")
    with pytest.raises(ValidationError) as exc:
        case_dispatch(actor=users["cadre_a"], case=case, kind="department", target=None)
    assert "大事" in str(exc.value)


def test_dispatch_to_a_grid_worker_of_another_community_is_refused(users, roster):
    case = portal_case(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="minor")
    with pytest.raises(ValidationError):
        case_dispatch(
            actor=users["cadre_a"],
            case=case,
            kind="grid_worker",
            target=roster["workers"]["worker_b"],
        )
    case.refresh_from_db()
    assert case.status == "accepted"


def test_dispatch_kind_whose_app_is_missing_is_refused(monkeypatch, users, roster):
    from grids import choices

    monkeypatch.setitem(choices.DISPATCH_TARGET_MODELS, "volunteer_team", "volunteers.NoSuchTeam")
    case = portal_case(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="private")
    with pytest.raises(ValidationError) as exc:
        case_dispatch(
            actor=users["cadre_a"],
            case=case,
            kind="volunteer_team",
            target=roster["workers"]["worker"],
        )
    assert "尚未在本系统启用" in str(exc.value)


def test_dispatch_target_of_the_wrong_model_is_refused(users, roster):
    case = portal_case(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="minor")
    with pytest.raises(ValidationError):
        case_dispatch(
            actor=users["cadre_a"], case=case, kind="grid_worker", target=roster["households"]["h1"]
        )


def test_generic_target_is_stored(users, roster):
    case = dispatched(users, roster)
    case.refresh_from_db()
    assert case.target == roster["workers"]["worker"]
    assert case.target_label == str(roster["workers"]["worker"])


@pytest.mark.parametrize("category, days", [("safety", 1), ("environment", 3), ("facilities", 7)])
def test_deadline_depends_on_category(users, roster, category, days):
    case = portal_case(roster, category=category)
    assert case.due_at - case.reported_at == timedelta(days=days)


def test_overdue_flags(users, roster):
    case = dispatched(users, roster, category="safety")
    assert not case.is_overdue()
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(hours=1))
    case.refresh_from_db()
    assert case.is_overdue()
    case = case_resolve(actor=users["cadre_a"], case=case, resolution="x")
    assert case.resolved_on_time is False and case.is_overdue()
    assert case_figures(Case.objects.all())["on_time_rate"] == 0.0


def test_tracking_codes_are_random_and_not_sequential(users, roster):
    codes = [portal_case(roster).tracking_code for _ in range(30)]
    assert len(set(codes)) == 30
    assert all(len(c) == 10 and set(c) <= set(TRACKING_ALPHABET) for c in codes)
    assert codes != sorted(codes)
    # neighbouring cases share no long prefix (not a counter)
    assert max(len(set(c[:4] for c in codes)), 1) >= 25


def test_tracking_needs_code_and_phone_digits_and_leaks_nothing(users, roster):
    case = portal_case(roster)
    other = case_report(
        source="portal",
        reporter_name="李四",
        reporter_phone="13900001111",
        category="dispute",
        description="噪音",
        grid=roster["buildings"]["bb"].grid,
    )
    assert case_track(tracking_code=case.tracking_code, phone_last4="5678") == case
    assert case_track(tracking_code=case.tracking_code.lower(), phone_last4=" 5678") == case
    # wrong digits, someone else's code, a guessed code, garbage: all the same None
    assert case_track(tracking_code=case.tracking_code, phone_last4="1111") is None
    assert case_track(tracking_code=other.tracking_code, phone_last4="5678") is None
    assert case_track(tracking_code="ABCDEFGHJK", phone_last4="5678") is None
    assert case_track(tracking_code="", phone_last4="") is None
    assert case_track(tracking_code="' OR 1=1 --", phone_last4="abcd") is None
    # The portal's read of the same: the same answers, and only what the reporter may see.
    summary = case_track_summary(tracking_code=case.tracking_code.lower(), phone_last4="5678")
    assert summary["tracking_code"] == case.tracking_code and summary["events"]
    assert "reporter_phone" not in summary and "reporter_name" not in summary
    for code, digits in [
        (case.tracking_code, "1111"),
        (other.tracking_code, "5678"),
        ("ABCDEFGHJK", "5678"),
        ("", ""),
        ("' OR 1=1 --", "abcd"),
    ]:
        assert case_track_summary(tracking_code=code, phone_last4=digits) is None


def test_resident_evaluation_needs_the_phone_digits(users, roster):
    case = dispatched(users, roster)
    case_resolve(actor=users["cadre_a"], case=case, resolution="x")
    with pytest.raises(PermissionDenied):
        case_evaluate(case=case, satisfaction=1, phone_last4="0000")
    with pytest.raises(ValidationError):
        case_evaluate(case=case, satisfaction=6, phone_last4="5678")
    case.refresh_from_db()
    assert case.status == "resolved"


def test_resident_reopens_a_resolved_case(users, roster):
    case = dispatched(users, roster)
    case_resolve(actor=users["cadre_a"], case=case, resolution="已清理")
    case = case_reopen(case=case, reason="又堆满了", phone_last4="5678")
    assert case.status == "dispatched" and case.reopen_count == 1
    assert case.resolved_at is None and case.resolution_level == ""
    assert case.events.filter(action="reopen", note="又堆满了").exists()
    case_resolve(actor=users["cadre_a"], case=case, resolution="彻底清理")
    figures = case_figures(Case.objects.all())
    assert figures["reopened"] == 1 and figures["resolved"] == 1


def test_reopen_window_and_after_a_rating(users, roster):

    case = dispatched(users, roster)
    case_resolve(actor=users["cadre_a"], case=case, resolution="已清理")
    case_evaluate(case=case, satisfaction=1, phone_last4="5678")
    case = case_reopen(case=case, reason="没人来", phone_last4="5678")
    assert case.status == "dispatched" and case.satisfaction is None
    assert case.events.get(action="reopen").detail["previous_satisfaction"] == 1
    case_resolve(actor=users["cadre_a"], case=case, resolution="清理了")
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - timedelta(days=16))
    with pytest.raises(ValidationError, match="15 天"):
        case_reopen(case=case, reason="又脏了", phone_last4="5678")
    case.refresh_from_db()
    assert case.status == "resolved" and case.reopen_count == 1
    with pytest.raises(PermissionDenied):
        case_reopen(case=case, reason="又脏了", phone_last4="0000")


def test_desk_files_on_behalf_of_a_resident(users, roster):
    case = case_file_at_desk(
        actor=users["cadre_a"],
        reporter_name="王五",
        reporter_phone="13700001234",
        category="livelihood",
        description="咨询低保办理",
        household=roster["households"]["h2"],
    )
    assert case.source == "desk" and case.reported_by == users["cadre_a"]
    assert case.events.get().actor == users["cadre_a"]
    with pytest.raises(ValidationError, match="对象不存在"):
        case_file_at_desk(
            actor=users["cadre_b"],
            reporter_name="王五",
            reporter_phone="13700001234",
            category="livelihood",
            description="x",
            household=roster["households"]["h2"],
        )


def test_staff_sources_need_a_staff_actor(roster):
    with pytest.raises(PermissionDenied):
        case_report(
            source="patrol",
            reporter_name="x",
            reporter_phone="13700001234",
            category="other",
            description="x",
            building=roster["buildings"]["b1"],
        )


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"reporter_phone": "123"}, "reporter_phone"),
        ({"category": "nonsense"}, "category"),
        ({"description": ""}, "description"),
    ],
)
def test_bad_report_is_refused_and_nothing_written(roster, extra, field):
    data = dict(
        source="portal",
        reporter_name="张三",
        reporter_phone="13812345678",
        category="other",
        description="x",
        building=roster["buildings"]["b1"],
    )
    data.update(extra)
    with pytest.raises(ValidationError) as exc:
        case_report(**data)
    assert field in exc.value.message_dict
    assert Case.objects.count() == 0 and AuditLog.objects.count() == 0


def test_report_with_inconsistent_place_is_refused(roster, grids):
    with pytest.raises(ValidationError):
        case_report(
            source="portal",
            reporter_name="x",
            reporter_phone="13812345678",
            category="other",
            description="x",
            grid=grids["g2"],
            household=roster["households"]["h1"],
        )


def test_possible_duplicates_are_offered(users, roster):
    first = portal_case(roster)
    same_grid = portal_case(roster, building="b1")
    other_category = portal_case(roster, category="safety")
    other_grid = portal_case(roster, building="b2")
    new = portal_case(roster)
    found = list(case_possible_duplicates(new))
    assert set(found) == {first, same_grid}
    assert other_category not in found and other_grid not in found
    case_accept(actor=users["cadre_a"], case=first, triage="minor")
    case_dispatch(
        actor=users["cadre_a"], case=first, kind="grid_worker", target=roster["workers"]["worker"]
    )
    case_resolve(actor=users["cadre_a"], case=first, resolution="x")
    assert set(case_possible_duplicates(new)) == {same_grid}


def test_figures(users, roster, tree):
    in_grid = dispatched(users, roster)
    case_resolve(actor=users["cadre_a"], case=in_grid, resolution="x")
    case_evaluate(case=in_grid, satisfaction=4, phone_last4="5678")
    escalated = portal_case(roster)
    case_accept(actor=users["cadre_a"], case=escalated, triage="major")
    department, dept_user = department_with_user(tree, users, "区城管局")
    case_dispatch(actor=users["cadre_a"], case=escalated, kind="department", target=department)
    case_resolve(actor=dept_user, case=escalated, resolution="x")
    case_evaluate(case=escalated, satisfaction=2, phone_last4="5678")
    portal_case(roster)  # open
    f = case_figures(Case.objects.all())
    assert (f["total"], f["resolved"]) == (3, 2)
    assert (f["share_in_grid"], f["share_in_community"], f["share_escalated"]) == (0.5, 0.0, 0.5)
    assert f["on_time_rate"] == 1.0 and f["avg_satisfaction"] == 3.0
    empty = case_figures(Case.objects.none())
    assert empty["on_time_rate"] is None and empty["avg_satisfaction"] is None


# ---------------------------------------------------------------- API


def test_api_workflow_and_scope(api, users, roster):
    case = portal_case(roster)
    url = f"/api/v1/cases/{case.tracking_code}"
    assert api(users["cadre_b"]).get(f"{url}/").status_code == 404
    assert api(users["cadre_b"]).post(f"{url}/accept/", {"triage": "minor"}).status_code == 404
    client = api(users["cadre_a"])
    assert client.post(f"{url}/resolve/", {"resolution": "x"}).status_code == 400
    assert client.post(f"{url}/accept/", {"triage": "minor"}).json()["status"] == "accepted"
    body = client.post(f"{url}/dispatch/", {"kind": "grid_worker", "target": "A-W2"}).json()
    assert body["status"] == "dispatched" and body["dispatch_kind"] == "grid_worker"
    refused = client.post(f"{url}/evaluate/", {"satisfaction": 5})
    assert refused.status_code == 400 and "status" in refused.json()["errors"]
    body = client.post(f"{url}/resolve/", {"resolution": "已处理"}).json()
    assert body["status"] == "resolved"
    assert [e["action"] for e in body["events"]] == ["report", "accept", "dispatch", "resolve"]
    assert body["reporter_phone"] == "138****5678"


def test_api_dispatch_to_unknown_target(api, users, roster):
    case = portal_case(roster)
    client = api(users["cadre_a"])
    client.post(f"/api/v1/cases/{case.tracking_code}/accept/", {"triage": "minor"})
    response = client.post(
        f"/api/v1/cases/{case.tracking_code}/dispatch/", {"kind": "grid_worker", "target": "B-W1"}
    )
    assert response.status_code == 400


def test_api_readonly_role_cannot_run_steps(api, users, roster):
    case = portal_case(roster)
    response = api(users["district"]).post(
        f"/api/v1/cases/{case.tracking_code}/accept/", {"triage": "minor"}
    )
    assert response.status_code == 403


def test_api_staff_filing_and_figures(api, users, roster):
    client = api(users["grid_a"])
    response = client.post(
        "/api/v1/cases/",
        {
            "source": "patrol",
            "category": "environment",
            "description": "垃圾桶破损",
            "reporter_name": "网格员",
            "reporter_phone": "13811110000",
            "building": "A-B2",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["grid"] == "A-S1-G2"
    assert api(users["cadre_a"]).get("/api/v1/cases/figures/").json()["total"] == 1
    assert api(users["cadre_b"]).get("/api/v1/cases/figures/").json()["total"] == 0
    assert (
        client.post(
            "/api/v1/cases/",
            {
                "source": "portal",
                "category": "other",
                "description": "x",
                "reporter_name": "x",
                "reporter_phone": "13811110000",
                "building": "A-B2",
            },
            format="json",
        ).status_code
        == 400
    )


def test_api_duplicates(api, users, roster):
    first = portal_case(roster)
    new = portal_case(roster)
    body = api(users["cadre_a"]).get(f"/api/v1/cases/{new.tracking_code}/duplicates/").json()
    assert [c["tracking_code"] for c in body] == [first.tracking_code]


@pytest.mark.parametrize("page_size", [2, 9])
def test_case_list_constant_queries(api, users, roster, django_assert_num_queries, page_size):
    for _ in range(5):
        dispatched(users, roster)
    for _ in range(5):
        portal_case(roster)
    from django.contrib.auth import get_user_model

    client = api(get_user_model().objects.get(pk=users["cadre_a"].pk))
    # permissions and scope (one statement, core.authz) + count + page
    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/cases/?page_size={page_size}")
    assert len(response.json()["results"]) == page_size


def test_case_export_masks_reporter_phone(api, users, roster):
    portal_case(roster)
    text = (
        api(users["cadre_a"])
        .get("/api/v1/cases/export/?file_format=csv")
        .content.decode("utf-8-sig")
    )
    assert "138****5678" in text and "13812345678" not in text


# ---------------------------------------------------------------- admin


def test_admin_desk_filing_and_steps(admin_client_for, users, roster, grids):
    client = admin_client_for(users["cadre_a"])
    response = client.post(
        "/admin/grids/case/add/",
        {
            "category": "livelihood",
            "description": "窗口来访：咨询养老补贴",
            "reporter_name": "赵六",
            "reporter_phone": "13600001111",
            "community": grids["g1"].community_id,
            "grid": grids["g1"].pk,
            "location": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get(reporter_name="赵六")
    assert case.source == "desk" and case.reported_by == users["cadre_a"]
    page = client.get(f"/admin/grids/case/{case.pk}/change/").content.decode()
    assert "受理分办" in page and "136****1111" in page
    response = client.post(
        f"/admin/grids/case/{case.pk}/step/accept/", {"triage": "minor", "note": ""}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "accepted"
    page = client.post(f"/admin/grids/case/{case.pk}/step/resolve/", {"resolution": "x"})
    assert page.status_code == 200 and "不能执行" in page.content.decode()
    other = admin_client_for(users["cadre_b"])
    assert other.get(f"/admin/grids/case/{case.pk}/step/dispatch/").status_code == 404


def test_admin_case_list_shows_figures(admin_client_for, users, roster):
    portal_case(roster)
    page = admin_client_for(users["cadre_a"]).get("/admin/grids/case/").content.decode()
    assert "按时办结率" in page and "共 1 件" in page


# ---------------------------------------------------------------- 三事分办 as a decision


def test_triage_has_no_default_and_an_untriaged_case_cannot_be_dispatched(users, roster):
    case = portal_case(roster)
    assert case.triage == ""
    from grids.admin.cases import AcceptForm

    assert AcceptForm().fields["triage"].choices[0][0] == ""
    assert not AcceptForm({"triage": "", "note": ""}).is_valid()
    # an imported case may be 已受理 without a triage: dispatch asks for the decision first
    Case.objects.filter(pk=case.pk).update(status="accepted")
    with pytest.raises(ValidationError) as exc:
        case_dispatch(
            actor=users["cadre_a"],
            case=case,
            kind="grid_worker",
            target=roster["workers"]["worker"],
        )
    assert "请先三事分办" in str(exc.value)


def test_retriage_minor_to_major_and_back_keeps_the_reason(users, roster, tree):
    from grids.services.cases import case_retriage

    case = dispatched(users, roster)
    case = case_retriage(actor=users["cadre_a"], case=case, triage="major", reason="涉及燃气管道")
    assert case.triage == "major" and case.status == "dispatched"
    event = case.events.get(action="retriage")
    assert event.note == "涉及燃气管道"
    assert event.detail == {"from_triage": "minor", "triage": "major"}
    assert event.from_status == event.to_status == "dispatched"
    # the dispatch now follows the new triage
    with pytest.raises(ValidationError):
        case_dispatch(
            actor=users["cadre_a"],
            case=case,
            kind="grid_worker",
            target=roster["workers"]["worker"],
        )
    gas, _ = department_with_user(tree, users, "燃气公司")
    case = case_dispatch(actor=users["cadre_a"], case=case, kind="department", target=gas)
    case = case_retriage(actor=users["cadre_a"], case=case, triage="minor", reason="部门认定为小事")
    case = case_dispatch(
        actor=users["cadre_a"], case=case, kind="grid_worker", target=roster["workers"]["worker"]
    )
    assert case.dispatch_kind == "grid_worker" and case.triage == "minor"
    assert AuditLog.objects.filter(action="case.retriage", target_id=str(case.pk)).count() == 2


def test_private_cases_go_to_volunteers_not_to_community_bodies(users, roster):
    case = portal_case(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="private")
    with pytest.raises(ValidationError) as exc:
        case_dispatch(
            actor=users["cadre_a"],
            case=case,
            kind="community_body",
            target=roster["workers"]["leader"],
        )
    assert "私事" in str(exc.value) and "志愿服务队" in str(exc.value)


@pytest.mark.parametrize(
    "triage, reason, message",
    [("minor", "x", "已是"), ("major", "  ", "理由"), ("huge", "x", "大事、小事或私事")],
)
def test_bad_retriage_is_refused(users, roster, triage, reason, message):
    from grids.services.cases import case_retriage

    case = portal_case(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="minor")
    with pytest.raises(ValidationError) as exc:
        case_retriage(actor=users["cadre_a"], case=case, triage=triage, reason=reason)
    assert message in str(exc.value)
    case.refresh_from_db()
    assert case.triage == "minor" and not case.events.filter(action="retriage").exists()


def test_retriage_before_acceptance_or_out_of_scope_is_refused(users, roster):
    from grids.services.cases import case_retriage

    case = portal_case(roster)
    with pytest.raises(ValidationError):
        case_retriage(actor=users["cadre_a"], case=case, triage="major", reason="x")
    case_accept(actor=users["cadre_a"], case=case, triage="minor")
    with pytest.raises(PermissionDenied):
        case_retriage(actor=users["cadre_b"], case=case, triage="major", reason="x")


def test_api_retriage_and_scope_answers_like_unknown(api, users, roster):
    case = portal_case(roster)
    url = f"/api/v1/cases/{case.tracking_code}"
    client = api(users["cadre_a"])
    client.post(f"{url}/accept/", {"triage": "minor"})
    outsider = api(users["cadre_b"]).post(f"{url}/retriage/", {"triage": "major", "reason": "x"})
    unknown = api(users["cadre_b"]).post(
        "/api/v1/cases/ZZZZZZZZZZ/retriage/", {"triage": "major", "reason": "x"}
    )
    assert outsider.status_code == unknown.status_code == 404
    assert outsider.json() == unknown.json()
    assert client.post(f"{url}/retriage/", {"triage": "major"}).status_code == 400
    body = client.post(f"{url}/retriage/", {"triage": "major", "reason": "需住建部门"}).json()
    assert body["triage"] == "major"
    assert body["events"][-1]["action"] == "retriage"
    assert body["events"][-1]["note"] == "需住建部门"
    assert (
        api(users["district"]).post(f"{url}/retriage/", {"triage": "minor", "reason": "x"})
    ).status_code == 403


def test_admin_retriage_step_and_dispatch_kinds_follow_triage(admin_client_for, users, roster):
    case = portal_case(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="minor")
    client = admin_client_for(users["cadre_a"])
    page = client.get(f"/admin/grids/case/{case.pk}/change/").content.decode()
    assert "改变分办" in page and "小事（社区和网格）" in page
    form = client.get(f"/admin/grids/case/{case.pk}/step/dispatch/").content.decode()
    assert 'value="grid_worker"' in form and 'value="department"' not in form
    response = client.post(
        f"/admin/grids/case/{case.pk}/step/retriage/", {"triage": "major", "reason": "需部门"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.triage == "major"
    form = client.get(f"/admin/grids/case/{case.pk}/step/dispatch/").content.decode()
    assert 'value="department"' in form and 'value="grid_worker"' not in form
    assert (
        admin_client_for(users["cadre_b"])
        .get(f"/admin/grids/case/{case.pk}/step/retriage/")
        .status_code
        == 404
    )
    untriaged = portal_case(roster)
    listing = admin_client_for(users["cadre_a"]).get("/admin/grids/case/").content.decode()
    assert "未分办" in listing and untriaged.tracking_code in listing, listing[
        listing.find("<main") :
    ][:1500]


def test_admin_case_list_is_readable(admin_client_for, users, roster):
    from grids.admin.cases import readable_figures

    shown = readable_figures(
        {"share_in_grid": 2 / 3, "on_time_rate": None, "avg_satisfaction": 4.333, "total": 3}
    )
    assert shown["share_in_grid"] == "66.7%" and shown["on_time_rate"] == "-"
    assert shown["avg_satisfaction"] == "4.33 分" and shown["total"] == 3
    case = dispatched(users, roster)
    case_resolve(actor=users["cadre_a"], case=case, resolution="已清理")
    case_evaluate(case=case, satisfaction=4, phone_last4="5678")
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(days=1))
    page = admin_client_for(users["cadre_a"]).get("/admin/grids/case/").content.decode()
    assert "4 分" in page and "100.0%" in page and "4.00 分" in page
    local_due = timezone.localtime(timezone.now() - timedelta(days=1)).strftime("%m-%d")
    assert local_due in page
    assert "0.6667" not in page and "1.0；" not in page


def test_admin_dispatch_target_is_chosen_by_name_with_autocomplete(admin_client_for, users, roster):
    case = portal_case(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="minor")
    client = admin_client_for(users["cadre_a"])
    form = client.get(f"/admin/grids/case/{case.pk}/step/dispatch/").content.decode()
    assert "派单对象编号" not in form and "target_id" not in form
    assert "admin-autocomplete" in form and "admin/js/autocomplete.js" in form
    url = f"/admin/grids/case/{case.pk}/dispatch-targets/grid_worker/"
    assert f'data-ajax--url="{url}"' in form
    found = client.get(url, {"term": "赵"}).json()
    assert [r["text"] for r in found["results"]] == [f"A-W2 {roster['workers']['worker']}"]
    everyone = [r["text"] for r in client.get(url).json()["results"]]
    assert not any(t.startswith("B-W1") for t in everyone) and len(everyone) == 2
    refused = client.post(
        f"/admin/grids/case/{case.pk}/step/dispatch/",
        {"kind": "grid_worker", "grid_worker": roster["workers"]["worker_b"].pk},
    )
    assert refused.status_code == 200
    missing = client.post(f"/admin/grids/case/{case.pk}/step/dispatch/", {"kind": "grid_worker"})
    assert "请输入名称或编码" in missing.content.decode()
    done = client.post(
        f"/admin/grids/case/{case.pk}/step/dispatch/",
        {"kind": "grid_worker", "grid_worker": roster["workers"]["worker"].pk, "note": ""},
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.target == roster["workers"]["worker"]
    other = admin_client_for(users["cadre_b"])
    assert other.get(url).status_code == 404


def test_admin_dispatch_to_a_volunteer_team_by_name(admin_client_for, users, roster, grids):
    from tests.volunteers.factories import TeamFactory

    team = TeamFactory(community=grids["g1"].community, name="园林助老服务队")
    TeamFactory(community=grids["gb"].community, name="胜利助老服务队")
    case = portal_case(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="private")
    client = admin_client_for(users["cadre_a"])
    url = f"/admin/grids/case/{case.pk}/dispatch-targets/volunteer_team/"
    found = client.get(url, {"term": "助老"}).json()["results"]
    assert [r["id"] for r in found] == [str(team.pk)]
    done = client.post(
        f"/admin/grids/case/{case.pk}/step/dispatch/",
        {"kind": "volunteer_team", "volunteer_team": team.pk, "note": ""},
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    case.refresh_from_db()
    assert case.dispatch_kind == "volunteer_team" and case.target == team
