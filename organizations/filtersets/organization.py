import django_filters
from django.db.models import Q

from organizations.choices import OrgKind
from organizations.models import Organization


class OrganizationFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=OrgKind.choices)
    parent = django_filters.CharFilter(field_name="parent__code", label="上级组织编码")
    ancestor = django_filters.CharFilter(method="filter_ancestor", label="祖先组织编码（不含自身）")
    subtree_of = django_filters.CharFilter(method="filter_subtree", label="子树根编码（含自身）")
    q = django_filters.CharFilter(method="filter_q", label="名称或编码包含")

    class Meta:
        model = Organization
        fields = ["kind", "parent", "ancestor", "subtree_of", "q"]

    def _range(self, queryset, code: str, include_self: bool):
        root = Organization.objects.filter(code=code).values("tree_id", "lft", "rght").first()
        if root is None:
            return queryset.none()
        lower = root["lft"] if include_self else root["lft"] + 1
        return queryset.filter(tree_id=root["tree_id"], lft__gte=lower, lft__lte=root["rght"])

    def filter_ancestor(self, queryset, name, value):
        return self._range(queryset, value, include_self=False)

    def filter_subtree(self, queryset, name, value):
        return self._range(queryset, value, include_self=True)

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))
