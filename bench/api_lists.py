"""Benchmark: every API list beside a bare Django JsonResponse view, under one gunicorn.

Builds (or reuses) a district-shaped data set on PostgreSQL — the Tiedong organisation tree
(2,962 nodes, bench/tree_import.py's generator), grids and buildings as bench/grids_import.py
lays them out, households and residents (default 20,000 households; ``--households 210000``
for the whole district), members (default 18,400), cases, volunteers, volunteer and
co-construction activities, partner units, meetings and tasks — then starts gunicorn with sync
workers (the deployment shape of README) and drives the bare view and each list, interleaved
round by round, as a street administrator and a community secretary (token auth), printing
req/s, p50, p95, the ratio to the bare view, the server workers' CPU milliseconds per request,
and the load average.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_bench_api .venv/bin/python bench/api_lists.py
    (--households N, --members N, --reuse to keep an existing data set, --build-only)

The database named in DATABASE_URL (default gz_bench_api) is dropped and re-created unless
``--reuse`` is given and it already holds the data set.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gz_bench_api"
# The shared data lives beside the main checkout (../shared) or, from a worktree, two levels up.
PROFILES = next(
    (
        base / "shared" / "data" / "district_profiles.json"
        for base in (ROOT.parent, ROOT.parent.parent)
        if (base / "shared" / "data" / "district_profiles.json").is_file()
    ),
    ROOT.parent / "shared" / "data" / "district_profiles.json",
)
HOST, PORT = "127.0.0.1", 8117
PER_BUILDING = 48
TARGET_RATIO = 0.5
STREET, COMMUNITY = "TD-S01", "TD-S01-C01"
LISTS = [
    "members",
    "organizations",
    "households",
    "residents",
    "cases",
    "volunteers",
    "volunteer-activities",
    "activities",
    "partner-units",
    "meetings",
    "tasks",
]


def tiedong() -> dict:
    return json.loads(PROFILES.read_text(encoding="utf-8"))["profiles"]["tiedong"]


def recreate_database(url: str) -> None:
    from grids_import import recreate_database as recreate

    recreate(url)


def copy_rows(model, fields: list[str], rows) -> int:
    """COPY ``rows`` (tuples in ``fields`` order) into ``model``'s table; the other columns
    take their model default (the same value for every row, so unique ones must be given)."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    given = set(fields)
    extra = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            extra.append((field.column, now))
        elif field.has_default():
            assert not field.unique, f"{model.__name__}.{field.name} is unique: give it"
            value = field.get_default()
            extra.append((field.column, json.dumps(value) if isinstance(value, list) else value))
        elif field.null:
            continue
        elif field.blank:
            extra.append((field.column, ""))
    columns = [model._meta.get_field(f).column for f in fields] + [c for c, _ in extra]
    tail = [v for _, v in extra]

    def text(value):
        if value is None:
            return r"\N"
        if value is True or value is False:
            return "t" if value else "f"
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        return str(value)

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
    count = 0
    for row in rows:
        writer.writerow([text(v) for v in (*row, *tail)])
        count += 1
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)",
            buffer,
        )
    return count


def build(households: int, members: int) -> None:
    """The data set; each step prints its size and time."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection, transaction
    from members_import import id_number as member_id_number
    from tree_import import build_rows, build_xlsx

    from core.roles import COMMUNITY_SECRETARY, STREET_ADMIN
    from covenants.models import (
        ActivityRecord,
        Agreement,
        PartnerUnit,
        ServiceProject,
    )
    from governance.models import Meeting, MeetingSeries, Task
    from grids.models import Building, Case, Compound, Grid, Household, Resident
    from grids.sample import id_number, mobile, person_name
    from organizations.importers import OrganizationImporter
    from organizations.models import Member, Organization, ScopeAssignment
    from volunteers.models import Activity, Volunteer

    def step(label: str, started: float) -> None:
        print(f"  {label}：{time.perf_counter() - started:.1f} s", flush=True)

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    step("迁移", t)
    User = get_user_model()
    root = User.objects.create_superuser("bench-root", password="bench-pass-123")
    t = time.perf_counter()
    result = OrganizationImporter(root).run(
        build_xlsx(build_rows(tiedong())), "tree.xlsx", dry_run=False
    )
    assert result.committed, [str(e) for e in result.errors[:5]]
    step(f"组织树 {Organization.objects.count()} 个节点", t)

    rng = random.Random(14)
    communities = list(Organization.objects.filter(kind="community_committee").order_by("code"))
    branches = list(
        Organization.objects.filter(
            kind__in=["compound_branch", "building_group", "functional_branch"]
        ).order_by("code")
    )
    t = time.perf_counter()
    with transaction.atomic():
        roots = [
            Grid(code=f"G-{c.code}", name=f"{c.name}网格", level="community", community=c)
            for c in communities
        ]
        for grid in roots:
            grid.save()
        total_grids = tiedong()["grids"]
        per, extra = divmod(total_grids, len(roots))
        Grid.objects.bulk_create(
            [
                Grid(
                    code=f"{r.code}-{g:02d}",
                    name=f"第{g + 1}网格",
                    level="grid",
                    parent=r,
                    community_id=r.community_id,
                    tree_id=0,
                    lft=0,
                    rght=0,
                    depth=0,
                )
                for i, r in enumerate(roots)
                for g in range(per + (1 if i < extra else 0))
            ],
            batch_size=1000,
        )
        Grid.objects.rebuild()
    grids = list(Grid.objects.filter(level="grid").order_by("code"))
    per_grid = -(-households // len(grids))
    compounds = Compound.objects.bulk_create(
        [
            Compound(code=f"{g.code}-XQ", name=f"第{g.pk}网格小区", community_id=g.community_id)
            for g in grids
        ],
        batch_size=2000,
    )
    compound_of = {g.pk: c for g, c in zip(grids, compounds, strict=True)}
    Building.objects.bulk_create(
        [
            Building(
                code=f"{g.code}-L{b:02d}",
                name=f"{b + 1}号楼",
                number=str(b + 1),
                compound=compound_of[g.pk],
                community_id=g.community_id,
                grid=g,
                floors=6,
                address=f"铁东区第{g.pk}网格{b + 1}号楼",
            )
            for g in grids
            for b in range(-(-per_grid // PER_BUILDING))
        ],
        batch_size=2000,
    )
    buildings: dict[int, list[int]] = {}
    for pk, grid_id in Building.objects.order_by("code").values_list("pk", "grid_id"):
        buildings.setdefault(grid_id, []).append(pk)
    step(f"网格 {len(grids)}、楼栋 {sum(map(len, buildings.values()))}", t)

    t = time.perf_counter()
    sizes: list[int] = []
    with transaction.atomic():

        def household_rows():
            made = 0
            for grid in grids:
                for k in range(per_grid):
                    if made >= households:
                        return
                    made += 1
                    size = rng.choice((1, 2, 2, 3, 3, 3, 4))
                    sizes.append(size)
                    yield (
                        f"H{made:07d}",
                        buildings[grid.pk][k // PER_BUILDING],
                        f"{k % PER_BUILDING // 8 + 1}0{k % 8 + 1}",
                        grid.pk,
                        person_name(rng),
                        size,
                    )

        copy_rows(
            Household,
            ["code", "building", "door_number", "grid", "head_name", "size"],
            household_rows(),
        )
        first = Household.objects.order_by("pk").values_list("pk", flat=True).first()

        def resident_rows():
            serial = 0
            for index, size in enumerate(sizes):
                for i in range(size):
                    serial += 1
                    yield (
                        f"R{serial:08d}",
                        first + index,
                        person_name(rng),
                        id_number(serial, rng),
                        mobile(rng) if i < 2 else "",
                        "head" if i == 0 else rng.choice(("spouse", "child", "parent")),
                        "registered" if rng.random() < 0.85 else "floating",
                        rng.random() < 0.02,
                    )

        people = copy_rows(
            Resident,
            [
                "code",
                "household",
                "name",
                "id_number",
                "phone",
                "relation",
                "resident_type",
                "elderly_alone",
            ],
            resident_rows(),
        )
    step(f"户 {households}、居民 {people}", t)

    t = time.perf_counter()
    units = PartnerUnit.objects.bulk_create(
        PartnerUnit(
            code=f"TD-U{i:04d}",
            name=f"驻区单位{i}",
            kind="private_enterprise" if i % 3 else "agency",
            organization=communities[i % len(communities)],
            address=f"铁东区单位路{i}号",
        )
        for i in range(600)
    )
    with transaction.atomic():
        copy_rows(
            Member,
            [
                "code",
                "name",
                "gender",
                "birth_date",
                "id_number",
                "phone",
                "category",
                "branch",
                "join_date",
            ],
            (
                (
                    f"DY{seq:06d}",
                    person_name(rng) + f"{seq % 97:02d}",
                    "male" if male else "female",
                    born,
                    number,
                    f"139{seq:08d}",
                    ("in_service", "retired", "resident", "mobile")[seq % 4],
                    branches[seq % len(branches)].pk,
                    date(born.year + 22, 7, 1),
                )
                for seq in range(members)
                for number, born, male in [member_id_number(seq)]
            ),
        )
    step(f"党员 {members}、驻区单位 {len(units)}", t)

    t = time.perf_counter()
    now = datetime(2026, 6, 1, 9, tzinfo=UTC)
    grid_by_community: dict[int, list] = {}
    for g in grids:
        grid_by_community.setdefault(g.community_id, []).append(g)
    with transaction.atomic():
        case_count = copy_rows(
            Case,
            [
                "tracking_code",
                "source",
                "category",
                "description",
                "reporter_name",
                "reporter_phone",
                "community",
                "grid",
                "status",
                "reported_at",
                "due_at",
            ],
            (
                (
                    f"C{i:09d}",
                    ("portal", "patrol", "visit")[i % 3],
                    ("facilities", "environment", "safety", "dispute")[i % 4],
                    f"楼道灯不亮 {i}",
                    person_name(rng),
                    mobile(rng),
                    c.pk,
                    grid_by_community[c.pk][i % len(grid_by_community[c.pk])].pk,
                    ("reported", "accepted", "dispatched", "resolved", "evaluated")[i % 5],
                    now - timedelta(minutes=i),
                    now - timedelta(minutes=i) + timedelta(days=7),
                )
                for i in range(max(2000, households // 10))
                for c in [communities[i % len(communities)]]
            ),
        )
        volunteer_count = copy_rows(
            Volunteer,
            ["number", "name", "gender", "phone", "community", "status", "registered_on"],
            (
                (
                    f"V{i:07d}",
                    person_name(rng),
                    ("male", "female")[i % 2],
                    mobile(rng),
                    communities[i % len(communities)].pk,
                    "registered",
                    date(2025, 1, 1) + timedelta(days=i % 365),
                )
                for i in range(max(2000, households // 10))
            ),
        )
        copy_rows(
            Activity,
            ["code", "title", "organizer", "starts_at", "ends_at", "place", "capacity"],
            (
                (
                    f"VA{i:06d}",
                    f"志愿活动{i}",
                    communities[i % len(communities)].pk,
                    now + timedelta(hours=i),
                    now + timedelta(hours=i + 2),
                    f"社区广场{i % 30}",
                    30,
                )
                for i in range(3000)
            ),
        )
        agreements = Agreement.objects.bulk_create(
            Agreement(
                code=f"AG{i:04d}",
                party_a=communities[i % len(communities)],
                unit=units[i],
                starts_on=date(2026, 1, 1),
                ends_on=date(2026, 12, 31),
            )
            for i in range(300)
        )
        projects = ServiceProject.objects.bulk_create(
            ServiceProject(code=f"SP{i:04d}", agreement=agreements[i], title=f"认领项目{i}")
            for i in range(300)
        )
        copy_rows(
            ActivityRecord,
            ["code", "project", "date", "kind", "title"],
            (
                (
                    f"AR{i:06d}",
                    projects[i % len(projects)].pk,
                    date(2026, 1, 1) + timedelta(days=i % 300),
                    "volunteer_service",
                    f"共建活动{i}",
                )
                for i in range(6000)
            ),
        )
        series = MeetingSeries.objects.bulk_create(
            MeetingSeries(
                code=f"MS{i:04d}",
                name=f"联席会议{i}",
                kind="committee_joint",
                body=communities[i % len(communities)],
                cadence="monthly",
                starts_on=date(2020, 1, 1),
            )
            for i in range(len(communities) * 4)
        )
        copy_rows(
            Meeting,
            ["code", "series", "period_start", "period_end", "title", "planned_on"],
            (
                (
                    f"MT{i:06d}",
                    series[i % len(series)].pk,
                    date(2020, 1, 1) + timedelta(days=30 * (i // len(series))),
                    date(2020, 1, 28) + timedelta(days=30 * (i // len(series))),
                    f"第{i}次联席会议",
                    date(2020, 1, 15) + timedelta(days=30 * (i // len(series))),
                )
                for i in range(len(series) * 24)
            ),
        )
        org_type = ContentType.objects.get_for_model(Organization)
        copy_rows(
            Task,
            [
                "code",
                "title",
                "organization",
                "assignee_type",
                "assignee_id",
                "assignee_label",
                "deadline",
            ],
            (
                (
                    f"TK{i:06d}",
                    f"派单任务{i}",
                    communities[i % len(communities)].pk,
                    org_type.pk,
                    communities[i % len(communities)].pk,
                    communities[i % len(communities)].name,
                    date(2026, 7, 1) + timedelta(days=i % 90),
                )
                for i in range(10000)
            ),
        )
    step(f"诉求 {case_count}、志愿者 {volunteer_count}、活动、会议、派单", t)

    street_user = User.objects.create_user("bench-street", password="bench-pass-123")
    street_user.groups.add(Group.objects.get(name=STREET_ADMIN))
    ScopeAssignment.objects.create(
        user=street_user, organization=Organization.objects.get(code=STREET)
    )
    community_user = User.objects.create_user("bench-community", password="bench-pass-123")
    community_user.groups.add(Group.objects.get(name=COMMUNITY_SECRETARY))
    ScopeAssignment.objects.create(
        user=community_user, organization=Organization.objects.get(code=COMMUNITY)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def tokens() -> dict[str, str]:
    """A fresh API token (core.tokens, as clients obtain them) for each bench user."""
    from django.contrib.auth import get_user_model

    from core.tokens import token_issue

    users = get_user_model().objects.filter(username__in=["bench-street", "bench-community"])
    return {u.username: token_issue(user=u, name="bench")[1] for u in users}


def start_server(workers: int, app_dir: Path = ROOT) -> subprocess.Popen:
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "API_BENCH_CEILING": "1",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=app_dir,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, PORT, timeout=2)
            conn.request("GET", "/api/v1/bench/ceiling/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn 未能在 60 秒内启动")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """User + system CPU of the gunicorn master's worker processes so far."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    except OSError:
        return 0.0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def burst(path: str, token: str | None, *, requests: int, clients: int):
    """``requests`` GETs of ``path`` from ``clients`` keep-alive connections."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    headers = {"Authorization": f"Token {token}"} if token else {}
    shares = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
        mine = []
        for _ in range(n):
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
                ok = False
            mine.append((time.perf_counter() - started) * 1000)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in shares]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started, errors[0]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_load(args) -> int:
    from django.db import connections

    from grids.models import Household, Resident
    from organizations.models import Member

    sizes = (
        f"户 {Household.objects.count()}、居民 {Resident.objects.count()}、"
        f"党员 {Member.objects.count()}"
    )
    keys = tokens()
    connections.close_all()
    targets = [("bare JsonResponse", "/api/v1/bench/ceiling/", None)]
    for who, label in (("bench-street", "街道"), ("bench-community", "社区")):
        for name in LISTS:
            targets.append((f"{name}（{label}）", f"/api/v1/{name}/?page_size=50", keys[who]))
    server = start_server(args.workers, Path(args.app_dir).resolve())
    stats = {label: {"lat": [], "wall": 0.0, "err": 0, "cpu": 0.0} for label, _, _ in targets}
    cpu_start, load_start = time.process_time(), os.getloadavg()
    try:
        for _, path, token in targets:  # warm-up: imports, connections, plans
            burst(path, token, requests=args.clients * 2, clients=args.clients)
        for _ in range(args.rounds):
            for label, path, token in targets:
                before = server_cpu_seconds(server)
                lat, wall, err = burst(path, token, requests=args.requests, clients=args.clients)
                entry = stats[label]
                entry["lat"] += lat
                entry["wall"] += wall
                entry["err"] += err
                entry["cpu"] += server_cpu_seconds(server) - before
    finally:
        stop_server(server)
    load_end = os.getloadavg()
    print(
        f"\n{sizes}；gunicorn sync × {args.workers}，{args.clients} 个并发客户端，"
        f"{args.rounds} 轮交替，每轮每个接口 {args.requests} 个请求"
    )
    print(
        f"{'接口':<34}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'÷裸视图':>8}{'CPU ms/请求':>12}{'错误':>6}"
    )
    bare = None
    worst = None
    for label, _, _ in targets:
        entry = stats[label]
        rate = len(entry["lat"]) / entry["wall"]
        bare = bare or rate
        ratio = rate / bare
        if label != targets[0][0]:
            worst = ratio if worst is None else min(worst, ratio)
        cpu_ms = entry["cpu"] * 1000 / max(1, len(entry["lat"]))
        print(
            f"{label:<34}{rate:>8.0f}{pct(entry['lat'], 0.5):>9.1f}{pct(entry['lat'], 0.95):>9.1f}"
            f"{ratio:>8.0%}{cpu_ms:>12.1f}{entry['err']:>6}"
        )
    print(
        f"系统负载（1/5/15 分钟）开始 {'/'.join(f'{x:.1f}' for x in load_start)}，"
        f"结束 {'/'.join(f'{x:.1f}' for x in load_end)}；CPU {os.cpu_count()} 核；"
        f"压测进程自身 CPU {time.process_time() - cpu_start:.1f} s"
    )
    errors = sum(e["err"] for e in stats.values())
    verdict = "达标" if worst is not None and worst >= TARGET_RATIO and not errors else "未达标"
    print(f"最慢列表为裸视图的 {worst:.0%}（目标 ≥ {TARGET_RATIO:.0%}）：{verdict}")
    return 0 if not errors else 1


def has_data_set() -> bool:
    from django.db import connection

    if "organizations_organization" not in connection.introspection.table_names():
        return False
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username="bench-community").exists()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--members", type=int, default=None, help="默认取规模数据中的党员数")
    parser.add_argument("--reuse", action="store_true", help="数据库已有数据集时直接使用")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--requests", type=int, default=60, help="每个接口每轮的请求数")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync 进程数")
    parser.add_argument(
        "--app-dir",
        default=str(ROOT),
        help="从另一份代码（如旧版本的 git archive）启动 gunicorn，用于前后对比；需含 core/api/bench.py",
    )
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL") or DEFAULT_URL
    import django

    django.setup()
    name = os.environ["DATABASE_URL"].rsplit("/", 1)[-1]
    if not (args.reuse and has_data_set()):
        print(f"数据库 {name}：重新创建并生成数据集", flush=True)
        from django.db import connections

        connections.close_all()
        recreate_database(os.environ["DATABASE_URL"])
        build(args.households, args.members or tiedong()["party_members"])
    else:
        print(f"数据库 {name}：使用已有数据集", flush=True)
    if args.build_only:
        return 0
    return run_load(args)


if __name__ == "__main__":
    sys.exit(main())
