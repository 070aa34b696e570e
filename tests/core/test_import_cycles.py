"""No import circles between the project's own modules.

What is counted: every ``.py`` file of the project apps (``config``, ``core``, ``organizations``,
``grids``, ``covenants``, ``volunteers``, ``governance``, ``portal``, ``open311``; migrations excluded) is a
node; an edge A → B is an ``import``/``from … import`` statement in A (relative imports resolved)
that names project module B — for ``from pkg import name`` the edge goes to ``pkg.name`` when that
is a module, otherwise to ``pkg`` (whose ``__init__`` holds ``name``). Parent packages are not
counted as implicit edges (importing ``a.b.c`` runs ``a/__init__`` too, but that cannot deadlock
unless ``a/__init__`` itself imports back, which is then its own edge). Imports under
``if TYPE_CHECKING:`` are ignored. Third-party and standard-library modules are not nodes.

Two graphs are checked: top-level imports only (a circle there is an ImportError waiting for
the right import order), and top-level plus imports inside functions (a circle there works
at run time but means two modules each need the other: the layering is wrong). Both must be
free of circles. Run this file directly to print the circles:
``.venv/bin/python tests/core/test_import_cycles.py``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "config",
    "core",
    "organizations",
    "grids",
    "covenants",
    "volunteers",
    "governance",
    "portal",
    "open311",
    "webhooks",
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            modules[_module_name(path)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module):
    """Yield (import node, at_top_level) for every import, skipping TYPE_CHECKING blocks."""

    def walk(node, top):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    yield from walk_one(sub, top)
                continue
            yield from walk_one(child, top)

    def walk_one(child, top):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, top
        inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield from walk(child, inner)

    yield from walk(tree, True)


def _targets(node, current: str, is_package: bool, modules: dict[str, Path]) -> set[str]:
    found = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
        return found
    if node.level:
        base_parts = current.split(".") if is_package else current.split(".")[:-1]
        base_parts = base_parts[: len(base_parts) - (node.level - 1)]
        base = ".".join(base_parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    for alias in node.names:
        if f"{base}.{alias.name}" in modules:
            found.add(f"{base}.{alias.name}")
            continue
        name = base
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name:
            found.add(name)
    return found


def import_graph(include_function_level: bool) -> dict[str, set[str]]:
    modules = project_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node, top in _imports(tree):
            if not top and not include_function_level:
                continue
            for target in _targets(node, name, is_package, modules):
                if target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(graph):
            if v not in index:
                connect(v)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(found)


def describe(graph: dict[str, set[str]], component: list[str]) -> str:
    members = set(component)
    edges = [f"  {a} -> {b}" for a in component for b in sorted(graph[a] & members)]
    return "\n".join([" <-> ".join(component), *edges])


def test_graph_sees_the_project():
    graph = import_graph(include_function_level=True)
    assert "core.scope" in graph and "organizations.models" in graph
    # An edge the project is known to have, so an empty graph cannot pass.
    assert "core.scope" in graph["organizations.models.organization"]


def test_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_cycles_among_top_level_imports():
    graph = import_graph(include_function_level=False)
    found = cycles(graph)
    assert not found, "import circles:\n" + "\n".join(describe(graph, c) for c in found)


def test_no_cycles_counting_function_level_imports():
    graph = import_graph(include_function_level=True)
    found = cycles(graph)
    assert not found, "import circles:\n" + "\n".join(describe(graph, c) for c in found)


if __name__ == "__main__":
    for flag in (False, True):
        g = import_graph(include_function_level=flag)
        print(f"== {'top-level + function-level' if flag else 'top-level'} imports")
        for c in cycles(g):
            print(describe(g, c))
            print()
