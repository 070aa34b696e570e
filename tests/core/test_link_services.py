"""One rule for every link, in the services too (issue 15 item 1).

- The guard: inside ``core.links.guarded()`` (every request of the test suite, see
  tests/conftest.py) a save of an actor-chosen link that did not go through ``check_links`` /
  ``check_many`` / ``derived`` is refused, so a service that forgets the rule fails its tests.
- Each service that used to check links its own way (or not at all) now refuses a target out
  of the actor's reach with the answer for an unknown one (``{field: ["对象不存在。"]}``),
  before anything about the target is said, and writes nothing.
- ``manage.py import_file`` goes through the same check as the user it runs for.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from core import links
from core.links import NOT_FOUND

pytestmark = pytest.mark.django_db


def refused(call, field: str, *also: str) -> None:
    """``call()`` is refused on ``field`` (and on the links that follow from it) exactly like
    an unknown record."""
    with pytest.raises(ValidationError) as info:
        call()
    expected = {name: [NOT_FOUND] for name in (field, *also)}
    assert info.value.message_dict == expected, info.value.message_dict


# ---------------------------------------------------------------- the guard


def test_guard_refuses_an_unchecked_link_and_accepts_a_checked_one(tree, users):
    from covenants.models import Need

    def need(org):
        return Need(
            code="N-1",
            title="需求",
            organization=org,
            category="livelihood",
            source="survey",
            reported_on=dt.date(2026, 2, 1),
        )

    with links.guarded():
        with pytest.raises(links.LinksNotChecked, match="covenants.Need.organization"):
            need(tree["community_a"]).save()
        checked = need(tree["community_a"])
        links.check_links(actor=users["cadre_a"], instance=checked)
        checked.save()
        # A later change of the link is a new choice: checked again or refused.
        checked.organization = tree["community_b"]
        with pytest.raises(links.LinksNotChecked):
            checked.save()
        # A save that leaves the stored link alone needs no check.
        fresh = Need.objects.get(pk=checked.pk)
        fresh.title = "改了标题"
        fresh.save()
        fresh.save(update_fields=["title"])
        # Links a service sets from records already checked are declared, not re-checked.
        links.derived(need(tree["community_b"]), "organization")
    assert links.take_violations()  # recorded, so the suite fails even if a view swallowed it


def test_guard_covers_many_to_many_adds(tree, users):
    from tests.volunteers.factories import TeamFactory, VolunteerFactory

    team = TeamFactory(community=tree["community_a"])
    vol_a = VolunteerFactory(community=tree["community_a"])
    vol_b = VolunteerFactory(community=tree["community_a"])
    with links.guarded():
        with pytest.raises(links.LinksNotChecked, match="volunteers.Team.members"):
            with transaction.atomic():
                team.members.add(vol_a)
        links.check_many(
            actor=users["cadre_a"], model=type(team), field_name="members", values=[vol_b]
        )
        team.members.add(vol_b)
    assert links.take_violations()
    assert list(team.members.all()) == [vol_b]


def test_system_work_is_not_guarded(tree):
    from covenants.models import Need

    with links.guarded(), links.system():
        Need.objects.create(
            code="N-2",
            title="需求",
            organization=tree["community_b"],
            category="livelihood",
            source="survey",
            reported_on=dt.date(2026, 2, 1),
        )
    assert not links.take_violations()


# ---------------------------------------------------------------- the services


def test_task_dispatch_assignee_out_of_reach_is_unknown(tree, users):
    from governance.models import Task
    from governance.services import task_dispatch

    refused(
        lambda: task_dispatch(
            actor=users["cadre_a"],
            title="清理楼道",
            assignee=tree["community_b"],
            deadline=dt.date(2026, 12, 31),
            organization=tree["community_a"],
        ),
        "assignee",
    )
    assert not Task.objects.exists()


def test_task_api_assignee_out_of_reach_answers_like_unknown(tree, users, api):
    from governance.models import Task

    client = api(users["cadre_a"])

    def post(code):
        return client.post(
            "/api/v1/tasks/",
            {
                "title": "清理楼道",
                "organization": "A",
                "deadline": "2026-12-31",
                "assignee": {"type": "organization", "code": code},
            },
            format="json",
        )

    out, unknown = post("B"), post("NO-SUCH")
    assert out.status_code == unknown.status_code == 400
    assert out.json() == {
        k: (v.replace("NO-SUCH", "B") if isinstance(v, str) else v)
        for k, v in unknown.json().items()
    } or out.content.decode() == unknown.content.decode().replace("NO-SUCH", "B")
    assert not Task.objects.exists()


def test_project_match_need_or_resource_out_of_reach_is_unknown(tree, users):
    from covenants.models import Project
    from covenants.services import project_match
    from tests.covenants.factories import NeedFactory, PartnerUnitFactory, ResourceFactory

    unit_a = PartnerUnitFactory(organization=tree["community_a"])
    unit_b = PartnerUnitFactory(organization=tree["community_b"])
    need_a = NeedFactory(organization=tree["community_a"])
    need_b = NeedFactory(organization=tree["community_b"])
    resource_a = ResourceFactory(organization=tree["community_a"], unit=unit_a)
    resource_b = ResourceFactory(organization=tree["community_b"], unit=unit_b, available=False)
    refused(
        lambda: project_match(
            actor=users["cadre_a"], need=need_b, resource=resource_a, code="P-1", title="对接"
        ),
        "need",
        "organization",  # the project's community follows from the need
    )
    # B's resource is out of reach: not "已标记为不可用" (that would tell it exists).
    refused(
        lambda: project_match(
            actor=users["cadre_a"], need=need_a, resource=resource_b, code="P-2", title="对接"
        ),
        "resource",
    )
    assert not Project.objects.exists()


def test_case_dispatch_target_out_of_reach_is_unknown(tree, users):
    from grids.models import Case
    from grids.services.cases import case_accept, case_dispatch, case_report
    from tests.grids.factories import GridFactory
    from tests.volunteers.factories import TeamFactory

    grid = GridFactory(
        code="A-G", name="园林社区网格", level="community", community=tree["community_a"]
    )
    case = case_report(
        actor=users["cadre_a"],
        source="desk",
        reporter_name="张三",
        reporter_phone="13812345678",
        category="environment",
        description="楼道堆物",
        grid=grid,
    )
    case = case_accept(actor=users["cadre_a"], case=case, triage="private")  # 私事 may go to a team
    team_b = TeamFactory(community=tree["community_b"])
    refused(
        lambda: case_dispatch(
            actor=users["cadre_a"], case=case, kind="volunteer_team", target=team_b
        ),
        "target",
    )
    assert Case.objects.get(pk=case.pk).status == "accepted"


def test_case_report_place_out_of_reach_is_unknown(tree, users):
    from grids.models import Case
    from grids.services.cases import case_report
    from tests.grids.factories import GridFactory

    grid_b = GridFactory(
        code="B-G", name="胜利社区网格", level="community", community=tree["community_b"]
    )
    with pytest.raises(ValidationError) as info:
        case_report(
            actor=users["cadre_a"],
            source="desk",
            reporter_name="张三",
            reporter_phone="13812345678",
            category="environment",
            description="楼道堆物",
            grid=grid_b,
        )
    assert info.value.message_dict == {"community": [NOT_FOUND], "grid": [NOT_FOUND]}
    assert "胜利" not in str(info.value)
    assert not Case.objects.exists()


def test_wish_claim_for_a_claimant_out_of_reach_is_unknown(tree, users):
    from covenants.models import PartnerUnit
    from tests.covenants.factories import PartnerUnitFactory
    from tests.volunteers.factories import VolunteerFactory
    from volunteers.models import Wish
    from volunteers.services import wish_claim, wish_post, wish_publish, wish_review

    wish = wish_post(
        actor=users["cadre_a"], community=tree["community_a"], title="修水管", beneficiary_name="王"
    )
    wish_review(actor=users["cadre_a"], wish=wish, approve=True)
    wish_publish(actor=users["cadre_a"], wish=wish)
    unit_b = PartnerUnitFactory(organization=tree["community_b"])
    vol_b = VolunteerFactory(community=tree["community_b"])
    refused(lambda: wish_claim(actor=users["cadre_a"], wish=wish, unit=unit_b), "unit")
    refused(lambda: wish_claim(actor=users["cadre_a"], wish=wish, volunteer=vol_b), "volunteer")
    assert Wish.objects.get(pk=wish.pk).status == "published"
    assert PartnerUnit.objects.count() == 1


def test_wish_post_for_a_community_out_of_reach_is_unknown(tree, users):
    from volunteers.models import Wish
    from volunteers.services import wish_post

    refused(
        lambda: wish_post(
            actor=users["cadre_a"],
            community=tree["community_b"],
            title="修水管",
            beneficiary_name="王",
        ),
        "community",
    )
    assert not Wish.objects.exists()


def test_hours_award_activity_out_of_reach_is_unknown(tree, users):
    from tests.volunteers.factories import ActivityFactory, VolunteerFactory
    from volunteers.models import HoursEntry
    from volunteers.services import hours_award

    vol_a = VolunteerFactory(community=tree["community_a"])
    activity_b = ActivityFactory(organizer=tree["community_b"])
    refused(
        lambda: hours_award(
            actor=users["cadre_a"],
            volunteer=vol_a,
            hours=Decimal("99"),  # over the window: still "unknown" first
            served_on=dt.date(2026, 3, 1),
            reason="补录",
            activity=activity_b,
        ),
        "activity",
    )
    assert not HoursEntry.objects.exists()


def test_activity_team_and_team_members_out_of_reach_are_unknown(tree, users):
    from tests.volunteers.factories import TeamFactory, VolunteerFactory
    from volunteers.models import Activity, Team
    from volunteers.services import activity_create, team_create

    team_b = TeamFactory(community=tree["community_b"])
    now = dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC)
    refused(
        lambda: activity_create(
            actor=users["cadre_a"],
            code="ACT-X",
            title="清扫",
            organizer=tree["community_a"],
            starts_at=now,
            ends_at=now + dt.timedelta(hours=2),
            place="广场",
            capacity=5,
            team=team_b,
        ),
        "team",
    )
    assert not Activity.objects.filter(code="ACT-X").exists()
    vol_b = VolunteerFactory(community=tree["community_b"])
    refused(
        lambda: team_create(
            actor=users["cadre_a"],
            code="T-X",
            name="巡逻队",
            kind="patrol",
            community=tree["community_a"],
            members=[vol_b],
        ),
        "members",
    )
    assert not Team.objects.filter(code="T-X").exists()


def test_sign_up_by_a_cadre_follows_the_declared_reach(tree, users):
    from tests.volunteers.factories import ActivityFactory, VolunteerFactory
    from volunteers.models import SignUp
    from volunteers.services import sign_up_create

    vol_b = VolunteerFactory(community=tree["community_b"])
    activity_a = ActivityFactory(organizer=tree["community_a"])
    refused(
        lambda: sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_b),
        "volunteer",
    )
    assert not SignUp.objects.exists()


def test_meeting_series_convenor_and_member_out_of_reach_are_unknown(tree, users):
    from governance.models import MeetingSeries, SeriesMember
    from governance.services import member_add, series_create

    refused(
        lambda: series_create(
            actor=users["cadre_a"],
            code="A-X",
            name="三方联动",
            kind="tripartite",
            body=tree["community_a"],
            cadence="monthly",
            starts_on=dt.date(2024, 1, 1),
            convenor=users["cadre_b"],
        ),
        "convenor",
    )
    assert not MeetingSeries.objects.exists()
    series = series_create(
        actor=users["cadre_a"],
        code="A-Y",
        name="三方联动",
        kind="tripartite",
        body=tree["community_a"],
        cadence="monthly",
        starts_on=dt.date(2024, 1, 1),
    )
    refused(
        lambda: member_add(
            actor=users["cadre_a"],
            series=series,
            kind="residents_rep",
            name="赵",
            user=users["cadre_b"],
        ),
        "user",
    )
    assert not SeriesMember.objects.exists()


def test_covenant_adopted_at_a_meeting_out_of_reach_is_unknown(tree, users):
    from covenants.models import Covenant, CovenantVersion
    from covenants.services.covenant import covenant_adopt_version
    from governance.services import meeting_plan, series_create

    series_b = series_create(
        actor=users["street"],
        code="B-X",
        name="胜利议事会",
        kind="tripartite",
        body=tree["community_b"],
        cadence="monthly",
        starts_on=dt.date(2024, 1, 1),
    )
    meeting_b = meeting_plan(actor=users["street"], series=series_b, planned_on=dt.date(2026, 3, 1))
    covenant = Covenant.objects.create(
        code="CV-A", kind="residents", title="居民公约", organization=tree["community_a"]
    )
    refused(
        lambda: covenant_adopt_version(
            actor=users["cadre_a"],
            covenant=covenant,
            text="公约正文",
            adopted_on=dt.date(2026, 3, 2),
            adopted_by="居民代表会议",
            meeting=meeting_b,
        ),
        "meeting",
    )
    assert not CovenantVersion.objects.exists()


def test_unit_partner_out_of_reach_is_unknown(tree, users):
    from covenants.models import UnitPartnership
    from covenants.services import unit_add_partner
    from tests.covenants.factories import PartnerUnitFactory

    unit_a = PartnerUnitFactory(organization=tree["community_a"])
    with pytest.raises(ValidationError) as info:
        unit_add_partner(actor=users["cadre_a"], unit=unit_a, organization=tree["community_b"])
    assert info.value.message_dict == {"partners": [NOT_FOUND]}
    assert not UnitPartnership.objects.exists()


def test_organization_parent_out_of_reach_is_unknown(tree, users):
    from organizations.models import Organization
    from organizations.services import organization_create

    refused(
        lambda: organization_create(
            actor=users["cadre_a"],
            code="B-09",
            name="新支部",
            kind="compound_branch",
            parent=tree["community_b"],
        ),
        "parent",
    )
    assert not Organization.objects.filter(code="B-09").exists()


# ---------------------------------------------------------------- scoped_save and STREET links


def test_a_street_wide_link_that_puts_the_record_outside_answers_like_unknown(tree, users, api):
    """An appraisal may name a member anywhere in the street (STREET), but then lies in the
    member's branch: for a member of B the answer must be the one for an unknown member."""
    from organizations.models import Appraisal
    from tests.organizations.factories import MemberFactory

    member_b = MemberFactory(branch=tree["branch_b"])
    client = api(users["cadre_a"])
    out = client.post("/api/v1/appraisals/", {"member": member_b.code, "year": 2025}, format="json")
    unknown = client.post("/api/v1/appraisals/", {"member": "NO-SUCH", "year": 2025}, format="json")
    assert out.status_code == unknown.status_code == 400, (out.content, unknown.content)
    assert out.content.decode().replace(member_b.code, "NO-SUCH") == unknown.content.decode()
    assert not Appraisal.objects.exists()


# ---------------------------------------------------------------- imports


def _write(tmp_path, importer, rows) -> str:
    from core.importing import write_table

    header = [c.header for c in importer.columns]
    path = tmp_path / "rows.csv"
    data = write_table(
        header, [[row.get(h, "") for h in header] for row in rows], "csv", importer.sheet_name
    )
    path.write_bytes(data)
    return str(path)


def test_import_file_checks_links_as_its_user(tree, users, tmp_path):
    """``manage.py import_file --user`` refuses a link out of that user's reach exactly like an
    unknown code, and writes nothing."""
    from covenants.importers import NeedImporter
    from covenants.models import Need

    importer = NeedImporter(users["cadre_a"])
    example = {
        **{c.header: c.example_text() for c in importer.columns},
        "需求编码": "N-NEW",
        "共建类别": "民生共做",
        "来源": "走访调查",
        "状态": "",
    }
    answers = {}
    for code in ("B", "NO-SUCH"):
        column = next(c.header for c in importer.columns if c.field.startswith("organization"))
        path = _write(tmp_path, importer, [{**example, column: code}])
        with pytest.raises(CommandError):
            call_command(
                "import_file",
                "covenants.importers.NeedImporter",
                path,
                "--user",
                "cadre_a",
                "--commit",
                stderr=(err := __import__("io").StringIO()),
            )
        answers[code] = err.getvalue().replace(code, "X")
    assert answers["B"] == answers["NO-SUCH"]
    assert not Need.objects.exists()


def test_the_import_base_checks_every_changed_link(tree, users):
    """An importer that looked a link up without ``linkable`` still cannot write it: the base
    runs ``check_links_bulk`` for the user, with the row error of an unknown code."""
    from covenants.importers import NeedImporter
    from covenants.models import Need
    from organizations.models import Organization

    class Careless(NeedImporter):
        def load_orgs(self, codes):
            self.orgs = {o.code: o for o in Organization.objects.filter(code__in=codes)}

    importer = Careless(users["cadre_a"])
    example = {
        **{c.header: c.example_text() for c in importer.columns},
        "需求编码": "N-NEW",
        "共建类别": "民生共做",
        "来源": "走访调查",
        "状态": "",
    }
    column = next(c for c in importer.columns if c.field.startswith("organization"))
    from core.importing import write_table

    data = write_table(
        [c.header for c in importer.columns],
        [[{**example, column.header: "B"}.get(c.header, "") for c in importer.columns]],
        "csv",
        importer.sheet_name,
    )
    result = importer.run(data, "rows.csv", dry_run=False)
    assert not result.committed
    assert [e.message for e in result.errors] == ["找不到“B”。"], result.errors
    assert not Need.objects.exists()
