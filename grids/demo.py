"""Demo grids for 站前街道 (codes under TD-ZQ): per community a community grid, two sectors,
grids of ≈400 households (seed 001) with micro-grids of ≈10 households (seed 002), buildings,
households and residents, grid workers, central-household links, visit diaries, and cases in
every status. Idempotent: existing codes are left alone."""

from __future__ import annotations

import random
import zlib
from datetime import timedelta

from django.utils import timezone

from core.demo import ensure_user
from core.roles import GRID_WORKER
from grids.choices import CARE_FLAGS, Relation, ResidentType
from grids.models import (
    Building,
    Case,
    CentralHouseholdLink,
    Compound,
    Department,
    DeskAccount,
    Grid,
    GridWorker,
    Household,
    Resident,
    VisitLog,
)
from grids.roles import DEPARTMENT_ROLE, MEMBER_ROLE
from grids.sample import id_number, mobile, person_name
from grids.services.cases import (
    case_accept,
    case_acknowledge,
    case_dispatch,
    case_evaluate,
    case_extend,
    case_reopen,
    case_report,
    case_resolve,
    case_retriage,
    case_return,
    escalate_overdue,
)
from grids.services.departments import desk_account_save
from grids.services.grid import lock_grid_tree
from grids.services.visits import central_link_create, visit_log_create, visit_to_case
from organizations.models import CommunityRegistration, Organization

COMMUNITIES = ["YL", "SL", "DM"]
SECTORS_PER_COMMUNITY = 2
GRIDS_PER_SECTOR = 1
BUILDINGS_PER_GRID = 9
FLOORS = 6
DOORS_PER_FLOOR = 8  # 2 units × 4 doors: 48 doors per building, ≈ 400 households per grid
UNITS = 2
# The compounds of each demo community (as in organizations.demo) and what residents call them.
COMPOUNDS = {
    "YL": [("园林小区", "园林花园、老园林"), ("春晖家园", "春晖小区"), ("钢城花园", "钢城小区")],
    "SL": [("胜利小区", "胜利新村"), ("和平里", "和平里小区")],
    "DM": [("东明新村", "东明小区"), ("阳光水岸", "阳光小区")],
}
# 铁东区 is in 鞍山 (area code 0412, seven-digit local numbers).
AREA_CODE = "0412"
MICRO_GRIDS_PER_GRID = 4  # in the first building, 10 households each


def _grid(code, name, level, community, parent=None) -> Grid:
    grid = Grid.objects.filter(code=code).first()
    if grid is None:
        grid = Grid(code=code, name=name, level=level, community=community, parent=parent)
        grid.full_clean()
        grid.save()
    return grid


def seed_tree(stdout) -> list[Grid]:
    lock_grid_tree()
    leaves = []
    for c in COMMUNITIES:
        community = Organization.objects.filter(code=f"TD-ZQ-{c}").first()
        if community is None:
            continue
        root = _grid(
            f"G-{c}", f"{community.name.removesuffix('大党委')}网格", "community", community
        )
        for s in range(1, SECTORS_PER_COMMUNITY + 1):
            sector = _grid(f"G-{c}-P{s}", f"第{s}片区", "sector", community, root)
            for g in range(1, GRIDS_PER_SECTOR + 1):
                n = (s - 1) * GRIDS_PER_SECTOR + g
                grid = _grid(f"G-{c}-P{s}-{n:02d}", f"第{n}网格", "grid", community, sector)
                for m in range(1, MICRO_GRIDS_PER_GRID + 1):
                    _grid(f"{grid.code}-W{m}", f"{n}网格{m}号微网格", "micro_grid", community, grid)
                leaves.append(grid)
    return leaves


def _compound_places(grids: list[Grid]) -> dict[str, tuple[str, int]]:
    """Building code → (compound code, number): a community's buildings, in grid order, are
    shared out over its compounds (园林: 园林小区 1–6号楼, 春晖家园 1–6号楼 across the two
    grids, 钢城花园 1–6号楼)."""
    places = {}
    by_community: dict[int, list[Grid]] = {}
    for grid in grids:
        by_community.setdefault(grid.community_id, []).append(grid)
    for community_grids in by_community.values():
        c = community_grids[0].code.split("-")[1]
        names = COMPOUNDS.get(c) or [(f"{community_grids[0].name}小区", "")]
        codes = [f"TD-ZQ-{c}-XQ{i:02d}" for i in range(1, len(names) + 1)]
        total = len(community_grids) * BUILDINGS_PER_GRID
        per = -(-total // len(names))
        index = 0
        for grid in sorted(community_grids, key=lambda g: g.code):
            for b in range(1, BUILDINGS_PER_GRID + 1):
                places[f"{grid.code}-L{b:02d}"] = (codes[index // per], index % per + 1)
                index += 1
    return places


def seed_compounds(grids: list[Grid]) -> dict[str, Compound]:
    compounds = {}
    for c, names in COMPOUNDS.items():
        community = Organization.objects.filter(code=f"TD-ZQ-{c}").first()
        if community is None:
            continue
        for i, (name, aliases) in enumerate(names, start=1):
            code = f"TD-ZQ-{c}-XQ{i:02d}"
            compound = Compound.objects.filter(code=code).first()
            if compound is None or compound.name != name:
                # A database migrated before compounds were records holds “第1网格小区” under
                # this code: the demo's own compound takes it over.
                compound = compound or Compound(code=code, community=community)
                compound.name, compound.aliases = name, aliases
                compound.address = f"站前街道{name}"
                compound.full_clean()
                compound.save()
            compounds[code] = compound
    return compounds


def seed_roster(grids: list[Grid], rng: random.Random, stdout) -> None:
    compounds = seed_compounds(grids)
    places = _compound_places(grids)
    existing = set(Building.objects.values_list("code", flat=True))
    buildings = []
    for grid in grids:
        for b in range(1, BUILDINGS_PER_GRID + 1):
            code = f"{grid.code}-L{b:02d}"
            compound_code, number = places[code]
            compound = compounds[compound_code]
            if code not in existing:
                buildings.append(
                    Building(
                        code=code,
                        name=f"{number}号楼",
                        community_id=grid.community_id,
                        grid=grid,
                        compound=compound,
                        number=str(number),
                        units=UNITS,
                        address=f"站前街道{compound.name}{number}号楼",
                        floors=FLOORS,
                    )
                )
            else:
                Building.objects.filter(code=code).exclude(compound=compound).update(
                    compound=compound,
                    name=f"{number}号楼",
                    number=str(number),
                    units=UNITS,
                    address=f"站前街道{compound.name}{number}号楼",
                )
    Building.objects.bulk_create(buildings)
    Compound.objects.filter(community__code__startswith="TD-ZQ-", buildings=None).exclude(
        code__in=compounds
    ).delete()
    micro = {g.code: g for g in Grid.objects.filter(level="micro_grid", parent__in=grids)}
    known = set(Household.objects.values_list("code", flat=True))
    households, people = [], []
    serial = Resident.objects.count()
    for building in Building.objects.filter(grid__in=grids).select_related("grid"):
        for floor in range(1, FLOORS + 1):
            for door in range(1, DOORS_PER_FLOOR + 1):
                code = f"{building.code}-{floor}{door:02d}"
                if code in known:
                    continue
                size = rng.choice((1, 1, 2, 2, 2, 3, 3, 3, 4, 5))
                head = person_name(rng)
                micro_grid = None
                index = (floor - 1) * DOORS_PER_FLOOR + door - 1
                if building.code.endswith("-L01") and index < 10 * MICRO_GRIDS_PER_GRID:
                    micro_grid = micro.get(f"{building.grid.code}-W{index // 10 + 1}")
                household = Household(
                    code=code,
                    building=building,
                    grid=building.grid,
                    micro_grid=micro_grid,
                    door_number=f"{(door - 1) // 4 + 1}单元{floor}0{(door - 1) % 4 + 1}",
                    head_name=head,
                    size=size,
                )
                households.append(household)
                for i in range(size):
                    serial += 1
                    old = i == 0 and size == 1 and rng.random() < 0.4
                    flags = {f: False for f in CARE_FLAGS}
                    if old:
                        flags["elderly_alone"] = True
                    elif rng.random() < 0.03:
                        flags[rng.choice(list(CARE_FLAGS))] = True
                    resident = Resident(
                        household=household,
                        name=head if i == 0 else person_name(rng),
                        id_number=id_number(
                            serial, rng, birth_year=rng.randint(1935, 1950) if old else None
                        ),
                        phone=mobile(rng) if i < 2 else "",
                        relation=Relation.HEAD
                        if i == 0
                        else rng.choice(
                            (Relation.SPOUSE, Relation.CHILD, Relation.CHILD, Relation.PARENT)
                        ),
                        resident_type=rng.choice(
                            (ResidentType.REGISTERED,) * 8
                            + (ResidentType.FLOATING, ResidentType.TENANT)
                        ),
                        **flags,
                    )
                    resident.fill_from_id_number()
                    people.append(resident)
    Household.objects.bulk_create(households, batch_size=1000)
    Household.history.bulk_history_create(households, batch_size=1000)
    Resident.objects.bulk_create(people, batch_size=1000)
    Resident.history.bulk_history_create(people, batch_size=1000)
    stdout.write(
        f"  网格：{Grid.objects.count()} 个节点，楼栋 {Building.objects.count()}，"
        f"户 {Household.objects.count()}，居民 {Resident.objects.count()}（新增户 {len(households)}）"
    )


def _work_phone(grid: Grid) -> str:
    """The grid's public duty landline in 鞍山, derived from its code so the random sequence
    (and every other demo row) stays as it was."""
    return f"{AREA_CODE}-{2230000 + zlib.crc32(grid.code.encode()) % 10000:07d}"


def seed_workers(grids: list[Grid], rng: random.Random) -> None:
    worker_user = ensure_user(
        "wangge", role=GRID_WORKER, scope_codes=["TD-ZQ-YL"], name="园林网格员"
    )
    for grid in grids:
        for suffix, role in (("Z", "leader"), ("S", "full_time"), ("J", "part_time")):
            code = f"{grid.code}-{suffix}"
            work_phone = _work_phone(grid)
            if GridWorker.objects.filter(code=code).exists():
                # Demo databases made before the area code was right carried 0757 (佛山).
                GridWorker.objects.filter(code=code, work_phone__startswith="0757-").update(
                    work_phone=work_phone
                )
                continue
            user = (
                worker_user if (grid.code.startswith("G-YL-P1") and role == "full_time") else None
            )
            GridWorker.objects.create(
                code=code,
                grid=grid,
                role=role,
                user=user,
                name=user.first_name if user else person_name(rng),
                phone=mobile(rng),
                work_phone=work_phone,
            )


def seed_links_and_visits(actor, rng: random.Random) -> None:
    if CentralHouseholdLink.objects.exists():
        return
    for central in Organization.objects.filter(kind="central_household", code__startswith="TD-ZQ-"):
        community = central.get_ancestors().filter(kind="community_committee").first()
        households = list(
            Household.objects.filter(grid__community=community).order_by("code")[
                rng.randint(0, 200) :
            ][: rng.randint(2, 5)]
        )
        for household in households:
            central_link_create(actor=actor, organization=central, household=household)
        if households:
            visit_log_create(
                actor=actor,
                household=households[0],
                visitor_kind="member",
                visitor_name=f"{central.name}党员",
                central_household=central,
                content="入户走访，了解老人身体和生活情况。",
                needs="希望楼道加装扶手。",
            )


def seed_cases(actor, rng: random.Random) -> None:
    if Case.objects.exists():
        return
    community = Organization.objects.get(code="TD-ZQ-YL")
    buildings = list(Building.objects.filter(community=community).order_by("code")[:12])
    workers = list(GridWorker.objects.filter(grid__community=community, role="full_time"))
    categories = ["environment", "facilities", "property", "dispute", "livelihood", "safety"]

    def report(i, **extra):
        building = buildings[i % len(buildings)]
        return case_report(
            actor=extra.pop("actor", None),
            source=extra.pop("source", "portal"),
            reporter_name=person_name(rng),
            reporter_phone=mobile(rng),
            category=categories[i % len(categories)],
            description=extra.pop(
                "description",
                rng.choice(
                    [
                        "楼道堆放杂物",
                        "路灯不亮",
                        "下水道堵塞",
                        "楼上漏水",
                        "噪音扰民",
                        "申请临时救助",
                    ]
                ),
            ),
            building=building,
        )

    def worker_for(case):
        return next((w for w in workers if w.grid_id == case.grid_id), workers[0])

    departments = seed_departments()
    accounts = {a.department_id: a.user for a in DeskAccount.objects.select_related("user")}

    def dept_user_for(department):
        return accounts[department.pk]

    registrations = list(
        CommunityRegistration.objects.filter(community=community).order_by("code")[:4]
    )
    member_user = seed_member_account(registrations)
    majors = 0
    whistled: list[Case] = []
    member_cases: list[Case] = []
    actor_for_resolve = actor

    for i in range(36):
        stage = i % 9
        source = ("portal", "patrol", "desk")[i % 3]
        case = report(i, source=source, actor=actor if source != "portal" else None)
        if stage == 0:
            continue  # reported
        triage = "major" if stage in (4, 5) else ("private" if stage == 8 else "minor")
        case_accept(actor=actor, case=case, triage=triage)
        if stage == 1:
            continue  # accepted
        if triage == "major":
            majors += 1
            department = departments[majors % len(departments)]
            case = case_dispatch(actor=actor, case=case, kind="department", target=department)
            if stage == 4:
                whistled.append(case)  # the states of 吹哨报到 are played out below
                continue
            case_acknowledge(actor=dept_user_for(department), case=case, note="部门已到场")
            actor_for_resolve = dept_user_for(department)
        elif stage == 8 and registrations and i % 2 == 0:
            # 社区吹哨、党员报到: a small errand for a registered in-service member
            reg = registrations[i % len(registrations)]
            case_retriage(actor=actor, case=case, triage="minor", reason="小事，请报到党员协助")
            case = case_dispatch(actor=actor, case=case, kind="member", target=reg)
            member_cases.append(case)
            continue
        else:
            case_dispatch(actor=actor, case=case, kind="grid_worker", target=worker_for(case))
        if stage == 2:
            continue  # dispatched
        if stage == 3:
            Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(days=1))
            continue  # dispatched and overdue
        case_resolve(
            actor=actor_for_resolve if triage == "major" else actor,
            case=case,
            resolution="已现场处理，居民确认。",
        )
        if stage == 6:
            continue  # resolved, awaiting evaluation
        phone = Case.objects.get(pk=case.pk).reporter_phone
        if stage == 7:
            case_reopen(case=case, reason="问题仍未解决", phone_last4=phone[-4:])
            continue  # reopened
        case_evaluate(
            case=case,
            satisfaction=rng.choice((3, 4, 5, 5, 5)),
            comment="满意",
            phone_last4=phone[-4:],
        )
    play_whistles(actor, whistled, dept_user_for)
    for n, case in enumerate(member_cases):
        if n % 2 == 0 and member_user is not None and case.registration_id == registrations[0].pk:
            case_resolve(actor=member_user, case=case, resolution="已帮老人取药送到家。", hours=2)
    visit = VisitLog.objects.filter(household__grid__community=community, case=None).first()
    if visit is not None:
        visit_to_case(actor=actor, visit=visit, category="facilities")


DEMO_DEPARTMENTS = [
    # code, name, kind, demo user
    ("TD-ZQ-D-ZJ", "铁东区住建局", "department", "dept_zj"),
    ("TD-ZQ-D-CG", "铁东区城管执法局", "department", "dept_cg"),
    ("TD-ZQ-D-SJ", "铁东区市场监管局", "department", "dept_sj"),
    ("TD-ZQ-D-PCS", "站前派出所", "department", "dept_pcs"),
    ("TD-ZQ-D-GD", "国网鞍山供电公司铁东分公司", "partner_unit", "dept_gd"),
]


def seed_departments() -> list[Department]:
    """职能部门 of the demo street, each with a login (``dept_zj`` … in the 职能部门 role)."""
    street = Organization.objects.filter(code="TD-ZQ").first()
    if street is None:
        return []
    admin = ensure_user("street")
    made = []
    for code, name, kind, username in DEMO_DEPARTMENTS:
        department, _ = Department.objects.get_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "street": street, "contact": "值班室"},
        )
        made.append(department)
        user = ensure_user(username, role=DEPARTMENT_ROLE, name=name)
        if not DeskAccount.objects.filter(user=user).exists():
            desk_account_save(actor=admin, account=DeskAccount(user=user, department=department))
    return made


def seed_member_account(registrations):
    """A registered in-service member's login (``member1``, role 报到党员)."""
    if not registrations:
        return None
    user = ensure_user("member1", role=MEMBER_ROLE, name=registrations[0].member.name)
    if not DeskAccount.objects.filter(user=user).exists():
        desk_account_save(
            actor=ensure_user("street"),
            account=DeskAccount(user=user, registration=registrations[0]),
        )
    return user


def play_whistles(actor, cases: list[Case], dept_user_for) -> None:
    """A whistled case in each state: waiting for the department, acknowledgement overdue
    (escalated to the street), acknowledged and extended, returned to the desk."""
    for n, case in enumerate(cases):
        user = dept_user_for(case.department)
        state = n % 4
        if state == 0:
            continue  # waiting for the department to report in
        if state == 1:
            Case.objects.filter(pk=case.pk).update(ack_due_at=timezone.now() - timedelta(hours=3))
            escalate_overdue()
            continue  # acknowledgement overdue, escalated to the street
        if state == 2:
            case_extend(actor=user, case=case, days=5, reason="需协调产权单位，申请延期")
            continue
        case_return(actor=user, case=case, reason="不属于本部门职责，请改派供电公司")


def seed(stdout) -> None:
    rng = random.Random(20261123)
    grids = seed_tree(stdout)
    if not grids:
        stdout.write("  网格：未找到演示社区，跳过。")
        return
    seed_roster(grids, rng, stdout)
    seed_workers(grids, rng)
    seed_officers(grids, stdout)
    seed_links_and_visits(ensure_user("street"), rng)
    seed_cases(ensure_user("yuanlin"), rng)
    stdout.write(f"  民情诉求：{Case.objects.count()} 件")


def seed_officers(grids: list[Grid], stdout) -> None:
    """支部建在网格上 and the residents' posts: each demo grid covered by a compound branch of
    its community (one per community left uncovered), micro-grids by a building party group;
    a 楼栋长 (a resident of the building) on nine buildings in ten, 单元长 per unit, a 居民小组长
    per grid. Idempotent (fixed codes)."""
    from collections import defaultdict
    from datetime import date

    from grids.choices import GridLevel
    from organizations.models import Officer

    branches: dict[int, list[Organization]] = defaultdict(list)
    groups: dict[int, list[Organization]] = defaultdict(list)
    communities = {g.community_id for g in grids}
    prefixes = {
        pk: code + "-"
        for pk, code in Organization.objects.filter(pk__in=communities).values_list("pk", "code")
    }
    for org in Organization.objects.filter(
        kind__in=["compound_branch", "building_group"], code__startswith="TD"
    ).order_by("code"):
        community = next((c for c, p in prefixes.items() if org.code.startswith(p)), None)
        if community is not None:
            (branches if org.kind == "compound_branch" else groups)[community].append(org)
    nodes = list(
        Grid.objects.filter(
            community_id__in=communities, level__in=[GridLevel.GRID, GridLevel.MICRO_GRID]
        ).order_by("code")
    )
    # The last 网格 of each community (by code) stays uncovered: a dashboard figure.
    left_open: dict[int, str] = {}
    for grid in nodes:
        if grid.level == GridLevel.GRID:
            left_open[grid.community_id] = grid.code
    seen: dict[int, int] = defaultdict(int)
    for grid in nodes:
        n = seen[grid.community_id]
        seen[grid.community_id] += 1
        if grid.covering_branch_id or grid.code == left_open.get(grid.community_id):
            continue
        pool = groups if grid.level == GridLevel.MICRO_GRID else branches
        choices = pool.get(grid.community_id) or branches.get(grid.community_id) or []
        if choices:
            Grid.objects.filter(pk=grid.pk).update(covering_branch=choices[n % len(choices)])

    existing = set(Officer.objects.filter(code__startswith="DEMO-G").values_list("code", flat=True))
    first_resident: dict[int, Resident] = {}
    for resident in (
        Resident.objects.filter(household__building__community_id__in=communities)
        .order_by("household__building_id", "household__code", "pk")
        .select_related("household")
    ):
        first_resident.setdefault(resident.household.building_id, resident)
    new = []
    start = date(2024, 3, 1)
    for building in Building.objects.filter(community_id__in=communities).order_by("code"):
        if zlib.crc32(building.code.encode()) % 10 == 0:
            continue  # no 楼栋长: a vacancy
        holder = first_resident.get(building.pk)
        code = f"DEMO-G-{building.code}"
        if code not in existing:
            new.append(
                Officer(
                    code=code,
                    organization_id=building.community_id,
                    position="building_leader",
                    building=building,
                    resident=holder,
                    person_name=holder.name if holder else person_name(random.Random(code)),
                    term_start=start,
                )
            )
        for unit in range(1, (building.units or 0) + 1):
            code = f"DEMO-G-{building.code}-U{unit}"
            if code not in existing:
                new.append(
                    Officer(
                        code=code,
                        organization_id=building.community_id,
                        position="unit_leader",
                        building=building,
                        unit_number=unit,
                        person_name=person_name(random.Random(code)),
                        term_start=start,
                    )
                )
    for grid in nodes:
        code = f"DEMO-G-{grid.code}"
        if grid.level == GridLevel.GRID and code not in existing:
            new.append(
                Officer(
                    code=code,
                    organization_id=grid.community_id,
                    position="resident_group_leader",
                    grid=grid,
                    person_name=person_name(random.Random(code)),
                    term_start=start,
                )
            )
    Officer.objects.bulk_create(new, batch_size=1000)
    covered = Grid.objects.filter(pk__in=[g.pk for g in nodes], covering_branch__isnull=False)
    stdout.write(
        f"  支部建在网格上：{covered.count()}/{len(nodes)} 个网格、微网格有覆盖党组织；"
        f"楼栋长、单元长、居民小组长新增 {len(new)} 条"
    )
