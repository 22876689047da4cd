"""No two modules of a package import each other at run time, directly or through others.

A cycle makes the import order matter (a module half-initialised when the other reads it) and
ties modules that should change alone; the shared piece belongs in the module it is about.
Imports inside functions count (they run too); those under ``if TYPE_CHECKING:`` do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from source_tree import PACKAGES


def _module_name(path: Path, folder: Path) -> str:
    """``_commands.list`` for ``<folder>/_commands/list.py``; ``_commands`` for its ``__init__.py``."""
    parts = path.relative_to(folder).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[ast.AST]:
    """Every node under an ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): never run."""
    hidden: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(ast.walk(node))
    return hidden


def _imported_modules(node: ast.Import | ast.ImportFrom, package: str, module: str, is_package: bool) -> set[str]:
    """The modules of ``package`` that this import statement (in ``module``) may load, named within the package."""
    if isinstance(node, ast.Import):  # import package.x
        return {alias.name.removeprefix(package + ".") for alias in node.names if alias.name.startswith(package + ".")}
    if node.level:  # from . import x, from .x import y, from ..x import y
        here = module.split(".") if module else []
        base = here if is_package else here[:-1]
        base = base[: len(base) - (node.level - 1)]
        within = node.module
    elif node.module == package or (node.module or "").startswith(package + "."):  # from package.x import y
        base, within = [], node.module.removeprefix(package).removeprefix(".")
    else:
        return set()
    if within:
        return {".".join([*base, *within.split(".")])}
    return {".".join([*base, alias.name]) for alias in node.names}  # from . import x: x may be a module


def import_graph(package: str, folder: Path) -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports at run time."""
    graph: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        module = _module_name(path, folder)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        hidden = _type_checking_nodes(tree)
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node not in hidden:
                imported |= _imported_modules(node, package, module, path.name == "__init__.py")
        graph[module] = imported
    # `from .x import name` names module x; `from . import name` may name a function of the package:
    # keep only edges to modules that exist, and never a module's edge to itself
    return {module: {m for m in imported if m in graph and m != module} for module, imported in graph.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that reach each other through imports (Tarjan's strongly connected components)."""
    order: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = lowest[module] = len(order)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in order:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in stack:
                lowest[module] = min(lowest[module], order[imported])
        if lowest[module] == order[module]:  # module is the first of its group: pop the group
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return sorted(cycles)


def test_the_check_finds_a_cycle_through_a_function_level_import_and_ignores_type_checking_ones(tmp_path):
    package = tmp_path / "toy"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from ._a import A\n")
    (package / "_a.py").write_text("from ._b import B\nA = 1\n")
    (package / "_b.py").write_text("def make():\n    from .sub.c import C\n    return C\nB = 2\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "c.py").write_text("from .. import _a\nC = 3\n")
    (package / "_d.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._e import E\nD = 4\n"
    )
    (package / "_e.py").write_text("import toy._d\nE = 5\n")

    assert import_cycles(import_graph("toy", package)) == [["_a", "_b", "sub.c"]]


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_modules_of_a_package_import_each_other(package):
    cycles = import_cycles(import_graph(package, PACKAGES[package]))
    assert cycles == [], f"move what these modules share into the module it belongs to: {cycles}"
