from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from core.importing import (
    _KEY_TAKEN,
    BaseImporter,
    Column,
    ImportResult,
    RowError,
    RowInvalid,
    choice_parser,
    parse_date,
)
from core.links import linkable
from core.scope import in_scope
from core.validators import normalize_phone
from organizations.choices import OrgKind
from organizations.models import Organization, parent_kind_error
from organizations.services import lock_tree
from organizations.tree import load_nodes


class OrganizationImporter(BaseImporter):
    """The party tree by code: parents are looked up by parent code, in the file or the system."""

    model = Organization
    title = "党组织"
    sheet_name = "党组织"
    columns = [
        Column("code", "组织编码", required=True, help="全系统唯一"),
        Column("name", "名称", required=True),
        Column(
            "kind",
            "类型",
            required=True,
            parse=choice_parser(OrgKind),
            help="、".join(str(label) for _, label in OrgKind.choices),
            export=lambda o: o.get_kind_display(),
        ),
        Column(
            "parent_code",
            "上级组织编码",
            help="根节点留空",
            export=lambda o: o.parent.code if o.parent_id else "",
        ),
        Column("established_on", "成立日期", parse=parse_date),
        Column("ended_on", "结束日期", parse=parse_date, help="临时党支部必填"),
        Column("address", "地址"),
        Column("phone", "联系电话", parse=lambda v: normalize_phone(v)),
    ]

    def prepare(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        super().prepare(rows)
        # code -> (parent code, kind) for the whole tree: enough to check kinds and cycles.
        self.db_nodes: dict[str, tuple[str | None, str]] = {}
        # code -> (tree_id, lft): where each stored node sits, for the scope check.
        self.db_positions: dict[str, SimpleNamespace] = {}
        for code, parent_code, kind, tree_id, lft in Organization.objects.values_list(
            "code", "parent__code", "kind", "tree_id", "lft"
        ):
            self.db_nodes[code] = (parent_code, kind)
            self.db_positions[code] = SimpleNamespace(tree_id=tree_id, lft=lft)
        self.file_parent: dict[str, str | None] = {}
        # Stored parents as far as the API reaches (core.links): anything else is "not found",
        # like an unknown code, before its kind or place is looked at.
        wanted = {values.get("parent_code") for _, values in rows if values.get("parent_code")}
        self.linkable_parents = set(
            linkable(self.user, Organization, "parent")
            .filter(code__in=wanted)
            .values_list("code", flat=True)
        )

    def build(self, row: int, values: dict[str, Any]) -> Organization:
        code = values["code"]
        obj = self.existing.get(code)
        if obj is None:
            obj = Organization(code=code)
        elif not in_scope(self.user, obj):
            # Unreachable past the base (a code held outside scope is 已被使用); same answer.
            raise RowInvalid([("组织编码", _KEY_TAKEN.format(code))])
        for name in ("name", "kind", "established_on", "ended_on", "address", "phone"):
            if name in values:
                setattr(obj, name, values[name])
        self.file_parent[code] = values.get("parent_code") or None
        return obj

    def clean_instance(self, obj: Organization) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, list[str]] = {}
        try:
            obj.clean_fields(exclude=["code", "parent", "lft", "rght", "tree_id", "level"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
        for name, messages in obj.date_errors().items():
            errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def column_header(self, field_name: str) -> str:
        if field_name == "parent":
            return "上级组织编码"
        return super().column_header(field_name)

    def final_parent(self, code: str) -> str | None:
        if code in self.file_parent:
            return self.file_parent[code]
        return self.db_nodes[code][0]

    def final_kind(self, code: str, kinds: dict[str, str]) -> str:
        return kinds[code] if code in kinds else self.db_nodes[code][1]

    def check_all(self, items: list[tuple[int, Organization]]) -> list[RowError]:
        errors: list[RowError] = []
        kinds = {obj.code: obj.kind for _, obj in items}
        known = set(self.db_nodes) | set(kinds)
        errors.extend(self.stored_children_errors(items, kinds))
        for row, obj in items:
            parent_code = self.file_parent[obj.code]
            stays = obj.code in self.db_nodes and parent_code == self.db_nodes[obj.code][0]
            reachable = parent_code in kinds or parent_code in self.linkable_parents or stays
            if parent_code and (parent_code not in known or not reachable):
                errors.append(
                    RowError(
                        row,
                        "上级组织编码",
                        f"找不到上级组织“{parent_code}”（文件和系统中都没有）。",
                    )
                )
                continue
            parent_kind = self.final_kind(parent_code, kinds) if parent_code else None
            message = parent_kind_error(obj.kind, parent_kind)
            if message:
                errors.append(RowError(row, "上级组织编码", message))
            # Follow the final parents upwards: a cycle never reaches a root.
            seen = {obj.code}
            cursor = parent_code
            while cursor:
                if cursor in seen:
                    errors.append(
                        RowError(row, "上级组织编码", f"上级关系形成循环（经过“{cursor}”）。")
                    )
                    break
                seen.add(cursor)
                cursor = self.final_parent(cursor) if cursor in known else None
            errors.extend(self.scope_errors(row, obj, parent_code))
        return errors

    def stored_children_errors(
        self, items: list[tuple[int, Organization]], kinds: dict[str, str]
    ) -> list[RowError]:
        """A stored node whose kind the file changes must still suit the stored children that
        the file leaves under it."""
        changed = {
            obj.code: row
            for row, obj in items
            if obj.code in self.db_nodes and self.db_nodes[obj.code][1] != obj.kind
        }
        if not changed:
            return []
        errors = []
        for code, (parent_code, child_kind) in self.db_nodes.items():
            # Children listed in the file are checked on their own rows.
            if parent_code in changed and code not in self.file_parent:
                if parent_kind_error(child_kind, kinds[parent_code]):
                    errors.append(
                        RowError(
                            changed[parent_code],
                            "类型",
                            f"下级组织“{code}”是{OrgKind(child_kind).label}，"
                            f"不能挂在{OrgKind(kinds[parent_code]).label}之下。",
                        )
                    )
        return errors

    def scope_errors(self, row: int, obj: Organization, parent_code: str | None) -> list[RowError]:
        if self.user.is_superuser:
            return []
        if not obj._state.adding and parent_code == self.db_nodes[obj.code][0]:
            # A stored node in scope (checked in build) that stays where it is: re-importing
            # one's own subtree, top row included, must work.
            return []
        if not parent_code:
            return [RowError(row, "上级组织编码", "只有系统管理员可以导入根节点。")]
        # Walk up through nodes of this file until a node that already exists.
        cursor = parent_code
        steps = 0
        while cursor in self.file_parent and cursor not in self.db_nodes and steps < 10_000:
            cursor = self.file_parent[cursor]
            steps += 1
            if cursor is None:
                return [RowError(row, "上级组织编码", "只有系统管理员可以导入根节点。")]
        anchor = self.db_positions.get(cursor)
        if anchor is None or not in_scope(self.user, anchor):
            return [
                RowError(
                    row,
                    "上级组织编码",
                    f"找不到上级组织“{parent_code}”（文件和系统中都没有）。",
                )
            ]
        return []

    def save(self, new: list[Organization], changed: list[Organization]) -> None:
        lock_tree()
        load_nodes(
            new,
            changed,
            self.file_parent,
            update_fields=self.update_fields(),
            batch_size=self.batch_size,
        )

    def update_fields(self) -> list[str]:
        return ["name", "kind", "established_on", "ended_on", "address", "phone"]

    def export_queryset(self, queryset):
        return queryset.select_related("parent").order_by("tree_id", "lft")

    def after_save(self, result: ImportResult) -> None:
        from core.services import audit

        if result.created or result.updated:
            audit(
                actor=self.user,
                action="organization.import",
                target_type="organizations.organization",
                target_repr=f"导入党组织 {result.created + result.updated} 条",
                detail={"created": result.created, "updated": result.updated},
            )
