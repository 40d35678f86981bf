"""The house's arrows, read from the source with ``ast`` (no import runs): verify → numeric →
symbolic only downward, and no import cycle between the modules of verify/.

- symbolic/ imports neither numeric nor verify, and numeric/ does not import verify: anywhere in
  the file (module level, inside functions, under ``TYPE_CHECKING``);
- verify/'s imports form no cycle, counting every import (module level, ``TYPE_CHECKING`` blocks
  and the deferred ones inside functions: a deferred import is still an arrow). Importing
  ``a.b.c`` is an edge to ``a.b.c`` only (its packages' ``__init__`` are not counted as importers
  of their own submodules).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("symbolic", "numeric", "verify")  # bottom to top


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for layer in LAYERS for p in sorted((ROOT / layer).rglob("*.py"))}


def imported(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """The absolute module names a module imports anywhere in its file (``from a import b``
    names ``a.b`` too, which the caller keeps only when it is a module)."""
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    out = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = imported(tree, name, path.name == "__init__.py")
        out[name] = {m for m in names if m in mods and m != name}
    return out


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    return sorted(
        f"{a} imports {b}"
        for a, targets in edges.items()
        for b in targets
        if rank[b.split(".")[0]] > rank[a.split(".")[0]]
    )


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                found.append(sorted(scc))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def without_parents(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Drop an edge from a module to a package containing it (``verify.checks.records``
    importing ``verify.checks.stage`` loads ``verify.checks`` first: Python's doing, no arrow)."""
    return {a: {b for b in bs if not a.startswith(b + ".")} for a, bs in edges.items()}


def test_no_upward_import_in_any_layer():
    assert upward_imports(graph()) == []


def test_no_import_cycle_inside_verify():
    edges = without_parents(graph())
    inside = {a: {b for b in bs if b.startswith("verify")} for a, bs in edges.items()}
    assert cycles({a: bs for a, bs in inside.items() if a.startswith("verify")}) == []


def test_the_single_run_side_does_not_import_the_study_wing():
    """verify/study/ sits beside the run: the report, the renderers and the checks never reach it
    (the study reaches them). Transitively, through every import."""
    edges = without_parents(graph())
    for start in ("verify.report", "verify.render", "verify.plots", "verify.checks"):
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo.extend(edges.get(m, ()))
        assert not {m for m in seen if m.startswith("verify.study")}, start


def test_the_checks_catch_a_seeded_upward_import_and_a_seeded_cycle():
    """The detectors themselves, on seeded graphs: a type-only numeric → verify arrow and a
    three-module circle are reported; a downward chain is not."""
    source = "if TYPE_CHECKING:\n    from verify.settings import X\n"
    names = imported(ast.parse(source), "numeric.gram", False)
    assert "verify.settings" in names
    assert upward_imports({"numeric.gram": {"verify.settings"}}) == [
        "numeric.gram imports verify.settings"
    ]
    assert upward_imports({"verify.api": {"numeric.gram"}, "numeric.gram": {"symbolic.x"}}) == []
    circle = {"verify.api": {"verify.checks"}, "verify.checks": {"verify.render"}}
    circle["verify.render"] = {"verify.api"}
    assert cycles(circle) == [["verify.api", "verify.checks", "verify.render"]]
    assert cycles({"verify.api": {"verify.checks"}, "verify.checks": set()}) == []
    deferred = "def f():\n    from verify.api import check\n"
    assert "verify.api" in imported(ast.parse(deferred), "verify.render", False)


@pytest.mark.parametrize("relative", ["from . import x", "from .checks import records"])
def test_relative_imports_resolve_to_absolute_names(relative):
    names = imported(ast.parse(relative), "verify.api", False)
    assert names & {"verify.x", "verify.checks.records"}
