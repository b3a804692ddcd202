"""The package layers of bantin have no import cycles, and `bantin.core` stands alone.

Built from the source's AST, not by importing: every `import` and `from … import` counts,
at module level and inside functions alike (a lazy import is still a dependency). A module
belongs to the top-level subpackage it lives in (`core`, `plan`, `campaigns`, `content`,
`channels`, `records`, `web`, `cli`, …); each top-level module is a group of its own.
Run it alone to see the graph: `python -m pytest tests/test_layers.py -q`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "bantin"

#: Import edges left out of the graph, each with its reason: (importing module, imported
#: group). Keep it empty; an entry is a debt with a name.
TEMPORARY_EDGES: frozenset[tuple[str, str]] = frozenset()


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its `__init__`)."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The bantin modules one module imports, resolved to a module name where it can be."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "bantin")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] != "bantin":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield sub if sub in known else base


def group(module: str) -> str:
    """`bantin.records.reports.annual` -> `records`; a top-level module is its own group."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "bantin"


def edges() -> set[tuple[str, str, str]]:
    """(importing module, its group, imported group) for every import between groups."""
    known = modules()
    found: set[tuple[str, str, str]] = set()
    for name, path in known.items():
        for target in imported(name, path, known):
            src, dst = group(name), group(target)
            if src != dst and dst != "bantin":
                found.add((name, src, dst))
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one group (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_graph(skip: frozenset[tuple[str, str]] = TEMPORARY_EDGES) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, src, dst in edges():
        if (module, dst) not in skip:
            graph.setdefault(src, set()).add(dst)
    return graph


def test_the_packages_import_each_other_without_cycles() -> None:
    graph = package_graph()
    found = cycles(graph)
    why = [
        f"{module} -> {dst}"
        for component in found
        for module, src, dst in sorted(edges())
        if src in component and dst in component and (module, dst) not in TEMPORARY_EDGES
    ]
    assert found == [], "package cycles " + str(found) + "; edges inside them:\n" + "\n".join(why)


def test_core_imports_nothing_of_bantin_outside_core() -> None:
    outside = sorted(f"{m} -> {dst}" for m, src, dst in edges() if src == "core")
    assert outside == []


def test_the_cycle_check_sees_a_cycle() -> None:
    """The check can fail: a graph with a loop of three has one component of three."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_temporary_edge_still_exists() -> None:
    """An allow-list entry whose import is gone is deleted, so the list only shrinks."""
    present = {(module, dst) for module, _, dst in edges()}
    assert sorted(TEMPORARY_EDGES - present) == []


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def test_no_module_or_function_outgrows_a_reader() -> None:
    """Modules fit in a head (400 lines) and functions on a screen (60), migrations apart."""
    too_big: list[str] = []
    for name, path in modules().items():
        if ".migrations." in f".{name}.":
            continue
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > MAX_MODULE_LINES:
            too_big.append(f"{name}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_big.append(f"{name}.{node.name}: {length} lines")
    assert too_big == []
