"""骨干任职 admin: the roster (changelist with vacancies above it, import/export), a read-only
list of the current officers on every organisation page, and a column on the tree."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.html import format_html, format_html_join

from core.admin import FileImportExportMixin, ScopedAdminMixin, SensitiveAdminMixin
from organizations import selectors
from organizations.admin import figures as f
from organizations.importers import OfficerImporter
from organizations.models import Officer, current_q
from organizations.services import officer_clash_errors, officer_delete, officer_save


class OfficerForm(forms.ModelForm):
    class Meta:
        model = Officer
        fields = [
            "code",
            "position",
            "organization",
            "person_name",
            "phone",
            "building",
            "unit_number",
            "grid",
            "member",
            "resident",
            "term_start",
            "term_end",
            "note",
        ]

    def validate_unique(self):
        # Unique fields (the code) only: the single-holder constraints are the clash check's.
        try:
            self.instance.validate_unique(exclude=self._get_validation_exclusions())
        except ValidationError as exc:
            self._update_errors(exc)

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        # The same single-holder check the service repeats under the post's lock.
        for field, messages in officer_clash_errors(self.instance).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


def vacancy_figures(user) -> f.Figures:
    from django.db.models import Q

    from core.scope import restrict
    from organizations.models import Organization

    visible = restrict(Organization.objects.all(), user, "")
    communities = list(
        visible.filter(kind="community_committee")
        .order_by("tree_id", "lft")
        .values_list("name", "tree_id", "lft", "rght")
    )
    rows = selectors.node_vacancy_rows(Q(pk__in=visible.values("pk")))
    table = []
    for name, tree_id, lft, rght in communities:
        sums = [0] * len(selectors.NODE_VACANCIES)
        for t, node_lft, values in rows:
            if t == tree_id and lft <= node_lft <= rght:
                sums = [a + b for a, b in zip(sums, values, strict=True)]
        table.append([name, *sums])
    return f.Figures(
        "骨干空缺（今日无人在任）",
        ["社区", *[f"{label}空缺" for label, _, _ in selectors.NODE_VACANCIES]],
        table,
        note="党委、党支部应有书记，楼栋党小组应有党小组长，党员中心户应有中心户长；"
        "楼栋长、网格长空缺见数据看板。",
    )


@admin.register(Officer)
class OfficerAdmin(
    f.FiguresMixin,
    FileImportExportMixin,
    SensitiveAdminMixin,
    ScopedAdminMixin,
    admin.ModelAdmin,
):
    form = OfficerForm
    importer_class = OfficerImporter
    list_display = [
        "person_name",
        "position",
        "organization",
        "place_label",
        "member",
        "masked_phone",
        "term_start",
        "term_end",
    ]
    list_filter = ["position", "organization__kind", "term_end"]
    search_fields = ["person_name", "code", "organization__name", "organization__code"]
    autocomplete_fields = ["organization", "member", "building", "grid", "resident"]
    fieldsets = [
        (None, {"fields": ["code", "position", "organization", "person_name", "phone"]}),
        (
            "楼栋、单元、网格（楼栋长、单元长、居民小组长）",
            {"fields": ["building", "unit_number", "grid"]},
        ),
        ("对应人员", {"fields": ["member", "resident"]}),
        ("任期", {"fields": ["term_start", "term_end", "note"]}),
    ]

    def get_queryset(self, request):
        return selectors.officers_visible_to(request.user)

    def figures(self, request):
        return vacancy_figures(request.user)

    def save_model(self, request, obj, form, change):
        officer_save(actor=request.user, officer=obj)

    def delete_model(self, request, obj):
        officer_delete(actor=request.user, officer=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            officer_delete(actor=request.user, officer=obj)


def current_officers_detail(node) -> str:
    """The node's officers in post today, for its change page (read-only there; changed in
    骨干任职). A rendered list, not an inline: an inline's formset would make every save of the
    node carry (and validate) a management form for rows it cannot change. Whoever opens the
    node's page has the node in scope, and with it the officers anchored on it."""
    if node is None or node.pk is None:
        return "—"
    officers = list(
        Officer.objects.filter(current_q(), organization=node)
        .select_related("building", "building__compound", "grid")
        .order_by("position", "term_start")
    )
    if not officers:
        return "—"
    items = format_html_join(
        "",
        "<li>{} {}{}（{} 起{}）</li>",
        (
            (
                o.get_position_display(),
                o.person_name,
                f" · {o.place_label()}" if o.building_id or o.grid_id else "",
                o.term_start,
                f"，至 {o.term_end}" if o.term_end else "",
            )
            for o in officers
        ),
    )
    return format_html("<ul>{}</ul>", items)


def current_officers_prefetch() -> Prefetch:
    return Prefetch(
        "officers",
        queryset=Officer.objects.filter(
            current_q(), building__isnull=True, grid__isnull=True
        ).order_by("position", "term_start"),
        to_attr="current_officers",
    )


def officers_column(obj) -> str:
    officers = getattr(obj, "current_officers", None)
    if officers is None:
        return ""
    return "；".join(f"{o.get_position_display()} {o.person_name}" for o in officers) or "—"


officers_column.short_description = "现任骨干"
