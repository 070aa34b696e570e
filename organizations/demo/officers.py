"""Demo officers on the demo tree: a 书记 on every 党委 / 党支部 (a few vacant for the
dashboard), committee members, a predecessor with an ended term, 党小组长, 中心户长, a 名誉书记.
Idempotent (fixed codes); names from the branch's own members where it has some."""

from __future__ import annotations

import zlib
from datetime import date

from organizations.choices import COMMITTEE_NODE_KINDS, REQUIRED_POSITION, OfficerPosition, OrgKind

P = OfficerPosition
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "建国秀英志强丽华海燕国庆桂兰春梅玉珍立新红霞德明淑珍文华"


def _name(key: str) -> str:
    n = zlib.crc32(key.encode())
    i = n // 20 % (len(GIVEN) // 2)
    return SURNAMES[n % 20] + GIVEN[2 * i : 2 * i + 2]


def _vacant(code: str) -> bool:
    """About one node in twelve is left without its required officer (a dashboard figure)."""
    return zlib.crc32(code.encode()) % 12 == 0


def seed(stdout) -> int:
    from organizations.models import Member, Officer, Organization

    nodes = list(
        Organization.objects.filter(
            code__startswith="TD", kind__in=list(REQUIRED_POSITION)
        ).order_by("tree_id", "lft")
    )
    existing = set(Officer.objects.filter(code__startswith="DEMO-").values_list("code", flat=True))
    members: dict[int, list[Member]] = {}
    for member in Member.objects.filter(branch__in=nodes).order_by("code"):
        members.setdefault(member.branch_id, []).append(member)
    start, old_start, old_end = date(2024, 1, 1), date(2019, 1, 1), date(2023, 12, 31)
    new: list[Officer] = []

    def add(org, position, n, *, term_start=start, term_end=None):
        code = f"DEMO-{org.code}-{n}"
        if code in existing:
            return
        pool = members.get(org.pk, [])
        member = pool[n % len(pool)] if pool and position != P.HONORARY_SECRETARY else None
        new.append(
            Officer(
                code=code,
                organization=org,
                position=position,
                person_name=member.name if member else _name(code),
                member=member,
                term_start=term_start,
                term_end=term_end,
            )
        )

    for org in nodes:
        required = REQUIRED_POSITION[org.kind]
        if not _vacant(org.code):
            add(org, required, 1)
        if org.kind in COMMITTEE_NODE_KINDS:
            add(org, P.SECRETARY, 0, term_start=old_start, term_end=old_end)  # the predecessor
            add(org, P.ORGANIZATION_MEMBER, 2)
            add(org, P.PUBLICITY_MEMBER, 3)
            if org.kind in (OrgKind.COMMUNITY_COMMITTEE, OrgKind.STREET_COMMITTEE):
                add(org, P.DEPUTY_SECRETARY, 4)
                add(org, P.DISCIPLINE_MEMBER, 5)
                add(org, P.COMMITTEE_MEMBER, 6)
                add(org, P.COMMITTEE_MEMBER, 7)
            if org.kind == OrgKind.COMPOUND_BRANCH and org.code.endswith("-01"):
                add(org, P.HONORARY_SECRETARY, 8)
    Officer.objects.bulk_create(new, batch_size=1000)
    total = Officer.objects.filter(code__startswith="DEMO-").count()
    stdout.write(f"  骨干任职（党组织）：{total} 条（新增 {len(new)}）")
    return len(new)
