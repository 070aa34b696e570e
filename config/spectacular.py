"""Enum names for the OpenAPI schema, derived from the project's own choice classes.

drf-spectacular names an enum after its field ("status", "kind") and warns when several
choice sets share a field name. Naming every project TextChoices after its class
(``CaseStatus`` → ``CaseStatusEnum``, prefixed with the app when two apps use the same class
name) keeps the schema stable and the validation free of warnings. The mapping is built lazily,
when the schema is generated and all apps are loaded.
"""

from collections.abc import Iterator, Mapping


class ProjectEnumNames(Mapping):
    def __init__(self) -> None:
        self._names: dict[str, type] | None = None

    def _build(self) -> dict[str, type]:
        from django.apps import apps
        from django.conf import settings
        from django.db.models import Choices

        prefixes = tuple(f"{app}." for app in settings.PROJECT_APPS)
        found: list[type] = []
        stack = list(Choices.__subclasses__())
        while stack:
            cls = stack.pop()
            stack.extend(cls.__subclasses__())
            if cls.__module__.startswith(prefixes) and cls.choices:
                found.append(cls)
        counts: dict[str, int] = {}
        for cls in found:
            counts[cls.__name__] = counts.get(cls.__name__, 0) + 1
        names: dict[str, type] = {}
        seen_sets: set[tuple] = set()
        for cls in sorted(found, key=lambda c: (c.__module__, c.__qualname__)):
            # Two classes with the same values are one enum in the schema: name it once.
            values = tuple(sorted(str(v) for v in cls.values))
            if values in seen_sets:
                continue
            seen_sets.add(values)
            name = cls.__name__
            if counts[name] > 1:
                label = apps.get_containing_app_config(cls.__module__).label
                name = f"{label.capitalize()}{name}"
            names[f"{name}Enum"] = cls
        return names

    def _get(self) -> dict[str, type]:
        if self._names is None:
            self._names = self._build()
        return self._names

    def __getitem__(self, key: str) -> type:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())
