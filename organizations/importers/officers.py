"""骨干任职 file: officers on party nodes, buildings and grids, by natural codes.

Rows are checked like every roster (links once per file, row rules in memory); the
single-holder rule (one 书记 per branch at a time, one 楼栋长 per building, …) is checked
across the file and against the stored terms in one query, and again under the posts' locks
when the file is written, so an import racing an admin or API assignment cannot make two.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from typing import Any

from django.db import IntegrityError, connection, models
from django.db.models import Q
from django.utils import timezone

from core.importing import Column, RowError, choice_parser, parse_date, parse_int
from grids.models import Building, Grid, Resident
from organizations.choices import OfficerPosition
from organizations.importers.members import (
    CODE_HELP,
    ORG_CODE,
    Link,
    LinkedImporter,
    _copy,
    code_parser,
    parse_phone,
)
from organizations.models import Member, Officer, Organization
from organizations.models.officers import (
    overlap_message,
    single_key,
    terms_overlap,
)


class OfficerImporter(LinkedImporter):
    model = Officer
    title = "骨干任职"
    sheet_name = "骨干任职"
    columns = [
        Column("code", "任职编号", parse=code_parser(), help=CODE_HELP),
        Column(
            "organization_code",
            "所在组织编码",
            export=ORG_CODE("organization__code"),
            help="党组织职务必填；楼栋长、单元长、居民小组长可留空（取楼栋或网格所属社区）",
        ),
        Column(
            "position",
            "职务",
            required=True,
            parse=choice_parser(OfficerPosition),
            export=lambda o: o.get_position_display(),
        ),
        Column(
            "building_code",
            "楼栋编码",
            export=ORG_CODE("building__code"),
            help="楼栋长、单元长必填",
        ),
        Column("unit_number", "单元", parse=parse_int, help="单元长必填：第几单元"),
        Column("grid_code", "网格编码", export=ORG_CODE("grid__code"), help="居民小组长必填"),
        Column("person_name", "姓名", required=True),
        Column("member_code", "党员编号", export=ORG_CODE("member__code")),
        Column("resident_code", "居民编号", export=ORG_CODE("resident__code")),
        Column("phone", "联系电话", parse=parse_phone),
        Column("term_start", "任期开始", required=True, parse=parse_date),
        Column("term_end", "任期结束", parse=parse_date),
        Column("note", "备注"),
    ]
    links = (
        Link("organization_code", "organization", Organization, required=False),
        Link(
            "building_code",
            "building",
            Building,
            required=False,
            select_related=("compound",),
        ),
        Link("grid_code", "grid", Grid, required=False),
        Link("member_code", "member", Member, required=False),
        Link(
            "resident_code",
            "resident",
            Resident,
            required=False,
            select_related=("household__grid",),
        ),
    )
    plain_fields = (
        "position",
        "unit_number",
        "person_name",
        "phone",
        "term_start",
        "term_end",
        "note",
    )

    def prepare(self, rows):
        super().prepare(rows)
        # A building / grid post's community, named by id: loaded once for the file.
        ids = {b.community_id for b in self.targets["building_code"].values()}
        ids |= {g.community_id for g in self.targets["grid_code"].values()}
        self.communities = {o.pk: o for o in Organization.objects.filter(pk__in=ids)}

    def assign_codes(self, new) -> None:
        """Readable codes per community letters (``ZW-YL-0001``): nodes of one community share
        one numbering, so they are numbered together."""
        from core.scope import scope_anchor
        from organizations.models import codes

        heads: dict[int, str] = {}
        groups: dict[str, list] = defaultdict(list)
        for obj in new:
            if obj.code:
                continue
            anchor = scope_anchor(obj)
            if anchor.pk not in heads:
                heads[anchor.pk] = codes.community_prefix(anchor)
            groups[heads[anchor.pk]].append(obj)
        for objs in groups.values():
            fresh = codes.readable_codes(Officer, scope_anchor(objs[0]), len(objs))
            for obj, code in zip(objs, fresh, strict=True):
                obj.code = code

    def build_extra(self, row, values, obj, errors) -> None:
        if not obj.organization_id:
            place = obj.building if obj.building_id else obj.grid if obj.grid_id else None
            if place is not None:
                obj.organization = self.communities.get(place.community_id)

    def check_all(self, items) -> list[RowError]:
        """Single posts: no two rows of the file, nor a row and a stored term, overlap."""
        header = self.column_header("term_start")
        errors: list[RowError] = []
        by_key: dict[tuple, list[tuple[int, Officer]]] = defaultdict(list)
        for row, obj in items:
            key = single_key(obj)
            if key is not None:
                by_key[key].append((row, obj))
        for entries in by_key.values():
            for i, (row, obj) in enumerate(entries):
                for earlier_row, earlier in entries[:i]:
                    if terms_overlap(
                        obj.term_start, obj.term_end, earlier.term_start, earlier.term_end
                    ):
                        errors.append(
                            RowError(
                                row,
                                header,
                                f"与第 {earlier_row} 行同一职务任期重叠（同一时间只能有一位"
                                f"{obj.get_position_display()}）。",
                            )
                        )
                        break
        for row, obj, other in self.stored_clashes(by_key):
            errors.append(
                RowError(
                    row,
                    header,
                    overlap_message(obj, other.person_name, other.term_start, other.term_end),
                )
            )
        return errors

    def stored_clashes(self, by_key, lock: bool = False):
        """(row, officer, stored officer) for stored terms clashing with a file row: one query
        (two with ``lock``: the posts' rows first, in id order, as the services lock them)."""
        if not by_key:
            return []
        orgs = {k[2] for k in by_key if k[1] == "o"}
        buildings = {k[2] for k in by_key if k[1] == "b"}
        if lock:
            list(
                Organization.objects.select_for_update()
                .filter(pk__in=orgs)
                .order_by("pk")
                .values("pk")
            )
            list(
                Building.objects.select_for_update()
                .filter(pk__in=buildings)
                .order_by("pk")
                .values("pk")
            )
        in_file = {obj.pk for entries in by_key.values() for _, obj in entries if obj.pk}
        stored = Officer.objects.filter(
            (Q(organization_id__in=orgs) & Q(building__isnull=True)) | Q(building_id__in=buildings),
            position__in={k[0] for k in by_key},
        ).exclude(pk__in=in_file)
        stored_by_key: dict[tuple, list[Officer]] = defaultdict(list)
        for other in stored:
            key = single_key(other)
            if key is not None:
                stored_by_key[key].append(other)
        clashes = []
        for key, entries in by_key.items():
            for row, obj in entries:
                for other in stored_by_key.get(key, ()):
                    if terms_overlap(
                        obj.term_start, obj.term_end, other.term_start, other.term_end
                    ):
                        clashes.append((row, obj, other))
                        break
        return clashes

    def save(self, new, changed) -> None:
        by_key: dict[tuple, list[tuple[int, Any]]] = defaultdict(list)
        for obj in [*new, *changed]:
            key = single_key(obj)
            if key is not None:
                by_key[key].append((0, obj))
        clashes = self.stored_clashes(by_key, lock=True)
        if clashes:
            _, obj, other = clashes[0]
            raise IntegrityError(
                overlap_message(obj, other.person_name, other.term_start, other.term_end)
            )
        if new and connection.vendor == "postgresql" and self.use_copy:
            copy_new(new)
            new = []
        super().save(new, changed)

    use_copy = True

    @property
    def skip_clean_fields(self) -> tuple[str, ...]:
        # The links were resolved once per file and the cells below checked by their parsers
        # (choice, date, phone, code): validating them again per row is most of the CPU.
        return (
            *super().skip_clean_fields,
            "position",
            "phone",
            "term_start",
            "term_end",
            "unit_number",
            "code",
        )


def copy_new(objs: list[Officer]) -> None:
    """PostgreSQL COPY of new officers (ids from the sequence, one timestamp for the file)."""
    now = timezone.now()
    fields = [f for f in Officer._meta.concrete_fields if not f.primary_key]
    for obj in objs:
        obj.created_at = obj.updated_at = now
    getter = operator.attrgetter(*[f.attname for f in fields])
    nullable = [i for i, f in enumerate(fields) if f.null]
    rows = []
    for obj in objs:
        row = list(getter(obj))
        for i in nullable:
            if row[i] is None:
                row[i] = "\\N"
        rows.append(row)
    text = [f.column for f in fields if isinstance(f, models.CharField) and not f.null]
    with connection.cursor() as raw, connection.wrap_database_errors:
        _copy(raw.cursor, Officer._meta.db_table, [f.column for f in fields], text, rows)
