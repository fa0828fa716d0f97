"""The package's layers: a module imports only from its own layer or below, and no cycles.

The layers, top to bottom, are those of docs/architecture.md. Every import of
an ``mcrkit`` module is read from the source (module level and inside
functions alike), so a lazy import cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

import mcrkit

PACKAGE = Path(mcrkit.__file__).parent

# Top to bottom. A module belongs to the first entry whose prefix matches it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("interfaces", ("cli", "gui", "batching")),
    ("workflows", ("workflows",)),
    ("engine", ("engine", "losses", "reconstruction")),
    ("metrics", ("metrics", "report", "validation")),
    ("statistics", ("descriptors",)),
    ("morphology", ("morphology",)),
    ("foundation", ("microstructure", "characterization", "io", "plotting", "generators",
                    "synthetic", "data", "registry", "runtime", "_version", "_moved", "_checks",
                    "__init__")),
]
RANK = {name: rank for rank, (name, _) in enumerate(reversed(LAYERS))}


def layer_of(module: str) -> str:
    """The layer of ``mcrkit.<module>`` (dotted, without the package name)."""
    top = module.split(".")[0]
    for name, prefixes in LAYERS:
        if top in prefixes:
            return name
    raise AssertionError(f"mcrkit.{module} belongs to no layer: add it to LAYERS")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


@functools.cache
def _syntax_tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def imports_of(path: Path, *, typing_only: bool = True) -> set[str]:
    """``mcrkit`` modules imported anywhere in ``path`` (without the package name).

    With ``typing_only=False``, imports under ``if TYPE_CHECKING:`` (which never
    run) are left out.
    """
    tree = _syntax_tree(path)
    skipped: set[int] = set()
    if not typing_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
                skipped.update(id(inner) for inner in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("mcrkit.") and not name.startswith("mcrkit._version"):
                found.add(name.removeprefix("mcrkit."))
    return found


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


@functools.cache
def graph(typing_only: bool = True) -> dict[str, set[str]]:
    """Each module's ``mcrkit`` imports (:func:`imports_of`): the sources are read once per
    test process, by the first test that needs them, not while the tests are collected."""
    return {module: imports_of(path, typing_only=typing_only) for module, path in MODULES.items()}


def test_layers_known() -> None:
    assert {layer_of(module) for module in MODULES} == set(RANK)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_from_a_higher_layer(module: str) -> None:
    upward = sorted(target for target in graph()[module]
                    if RANK[layer_of(target)] > RANK[layer_of(module)])
    assert not upward, f"mcrkit.{module} ({layer_of(module)}) imports {upward}"


def test_no_import_cycle() -> None:
    """Modules form an acyclic graph (importing ``mcrkit.a.b`` runs ``mcrkit.a`` too)."""
    edges: dict[str, set[str]] = {module: set() for module in MODULES}
    for module, targets in graph(typing_only=False).items():
        for target in targets:
            parts = target.split(".")
            edges[module].update(".".join(parts[:n]) for n in range(1, len(parts) + 1)
                                 if ".".join(parts[:n]) in MODULES
                                 and ".".join(parts[:n]) != module
                                 and not module.startswith(".".join(parts[:n]) + "."))
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
