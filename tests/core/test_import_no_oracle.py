"""No oracle in the file importers: for every importer and every column that names another
record by its code (parent organisation, grid, building, household, unit, series, body,
member, community …), a one-row file that names a record the user may not link to and one
that names an unknown code get the same row errors, apart from the code itself.

Registry-driven: every ``BaseImporter`` subclass that imports (has its own ``build``), every
column whose target model can be told from the importer (``column_field`` for ``<fk>_code``
columns, ``LinkedImporter.links``, or the foreign key the column fills); run on the demo
street as 园林's secretary (every kind of record exists in the neighbouring communities), the
allowed targets being what ``core.links.linkable`` allows for the field (else the user's
scope and the levels above it).
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist

from core.importing import BaseImporter, write_table
from core.links import LinkScope, linkable, linkable_targets
from tests.core.test_no_oracle import _slug, demo  # noqa: F401  (fixture)

UNKNOWN = "ZZ-NO-SUCH-CODE"
UNKNOWN_ID = "11010519491231002X"  # a well-formed ID number nobody in the demo has

MODULES = (
    "organizations.importers",
    "grids.importers",
    "grids.roster",
    "covenants.importers",
    "governance.importers",
    "governance.assessment.importers",
    "volunteers.importers",
)

# Columns whose name does not say the foreign key they fill.
TARGETS = {
    "org_code": ("organizations.Organization", "code", None),
    "organizer_code": ("organizations.Organization", "code", "organizer"),
    "body_code": ("organizations.Organization", "code", "body"),
    "username": ("auth.User", "username", "user"),
    "convenor_username": ("auth.User", "username", "convenor"),
    "volunteer_number": ("volunteers.Volunteer", "number", "volunteer"),
}
# Generic or shared targets: no scope to leak.
NOT_LINKS = {"target_code", "set_code", "indicator_code", "skill_codes"}


def importers() -> list[type[BaseImporter]]:
    for name in MODULES:
        importlib.import_module(name)
    found, todo = [], list(BaseImporter.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("tests.") or cls in found:
            continue
        if cls.build is BaseImporter.build or not hasattr(cls, "model"):  # export only, bases
            continue
        if "Export" in cls.__name__:  # ExportOnly & co.: refuse every file, whatever it holds
            continue
        found.append(cls)
    return sorted(found, key=lambda c: c.__qualname__)


def code_columns(importer: BaseImporter):
    """(column, target model, lookup field, model field name or None) for each column that
    names another record."""
    model = importer.model
    links = {link.column: link for link in getattr(importer, "links", ())}
    for link in [getattr(importer, "registration_link", None)]:
        if link is not None:
            links.setdefault(link.column, link)
    for column in importer.columns:
        name = column.field
        if name in NOT_LINKS or column.target:
            continue
        if name in links:
            link = links[name]
            field = link.field if "__" not in link.field else None
            yield column, link.model, link.lookups[0], field
            continue
        if not (name.endswith("_code") or name in TARGETS):
            continue
        fk = name.removesuffix("_code")
        try:
            relation = model._meta.get_field(fk)
        except FieldDoesNotExist:
            relation = None
        if relation is not None and relation.is_relation and relation.related_model:
            yield column, relation.related_model, _slug(relation.related_model), fk
        elif name in TARGETS:
            label, slug, field = TARGETS[name]
            target = get_user_model() if label == "auth.User" else apps.get_model(label)
            try:
                model._meta.get_field(field or "")
            except FieldDoesNotExist:
                field = None
            yield column, target, slug, field


def outside(user, model, slug: str, allowed=None) -> str | None:
    """``slug`` (a path such as ``member__id_number``) of one record outside ``allowed``
    (by default the user's scope and the levels above it), preferably in the same street."""
    if allowed is None:
        allowed = linkable_targets(user, model, LinkScope.IN_SCOPE_OR_ABOVE)
    street = linkable_targets(user, model, LinkScope.STREET)
    for queryset in (street, model._default_manager.all()):
        value = (
            queryset.exclude(pk__in=allowed.values("pk"))
            .exclude(**{slug: ""})
            .order_by("pk")
            .values_list(slug, flat=True)
            .first()
        )
        if value:
            return str(value)
    return None


def inside(user, importer, target, slug: str, field) -> str:
    """A code the user may put in the column (so the row gets past it), else ""."""
    if field and field in (getattr(importer.model, "link_scopes", None) or {}):
        allowed = linkable(user, importer.model, field)
    else:
        allowed = linkable_targets(user, target, LinkScope.IN_SCOPE)
    value = allowed.exclude(**{slug: ""}).order_by("pk").values_list(slug, flat=True).first()
    return str(value or "")


# Tried in turn for a column whose example text does not parse (placeholders such as
# 示例开始时间), so the row is well formed apart from what the test varies.
FILLERS = ("ZZ-NEW-1", "2026-01-05", "2026-01-05 09:00", UNKNOWN_ID, "1", "是")


def well_formed(importer: BaseImporter) -> dict[str, str]:
    """The template's example row with every cell that would not parse replaced."""
    cells = {}
    for column in importer.columns:
        parse = importer.parser(column)
        first = "ZZ-NEW-1" if column.field == importer.key_field else column.example_text()
        for text in (first, *FILLERS):
            try:
                parse(text)
            except Exception:
                continue
            cells[column.field] = text
            break
    return cells


def one_row(importer: BaseImporter, base: dict, column, value: str) -> bytes:
    headers = [c.header for c in importer.columns]
    row = [base.get(c.field, c.example_text()) for c in importer.columns]
    row[importer.columns.index(column)] = value
    return write_table(headers, [row], "csv", importer.sheet_name)


def errors(importer_class, user, base, column, value: str) -> list[tuple[str, str]]:
    importer = importer_class(user)
    result = importer.run(one_row(importer, base, column, value), "rows.csv", dry_run=True)
    assert not result.committed
    quoted = f"“{value}”"  # the code as messages quote it (not inside another code)
    return sorted((e.column, e.message.replace(quoted, "“«code»”")) for e in result.errors)


@pytest.fixture
def cadre(demo, db):  # noqa: F811
    return get_user_model().objects.get(username="yuanlin")


def test_out_of_scope_code_answers_like_unknown(cadre):
    compared, reached, differ = [], [], []
    for importer_class in importers():
        importer = importer_class(cadre)
        columns = list(code_columns(importer))
        # The other link columns hold codes the user may use, so the row reaches the column
        # under test instead of failing on the example's placeholder codes.
        base = well_formed(importer)
        for c, t, slug, f in columns:
            base[c.field] = inside(cadre, importer, t, slug, f) or base.get(c.field, "")
        for column, target, slug, field in columns:
            allowed = None
            if field and field in (getattr(importer.model, "link_scopes", None) or {}):
                allowed = linkable(cadre, importer.model, field)
            code = outside(cadre, target, slug, allowed)
            if code is None:
                continue
            unknown = UNKNOWN_ID if slug.endswith("id_number") else UNKNOWN
            where = f"{importer_class.__qualname__}.{column.field}"
            refused = errors(importer_class, cadre, base, column, code)
            missing = errors(importer_class, cadre, base, column, unknown)
            compared.append(where)
            if any("«code»" in message for _, message in missing):
                reached.append(where)
            if refused != missing:
                differ.append((where, refused, missing))
    assert not differ, "\n".join(f"{w}:\n  B: {r}\n  ?: {m}" for w, r, m in differ)
    # The registry really reached the link columns of every app, and most rows got as far
    # as the column under test (its code is named in the answer).
    assert len(compared) >= 30, compared
    assert len(reached) >= 40, sorted(set(compared) - set(reached))
