"""Names used across packages are public: listed in the ``__all__`` of the module they come from.

A package may rely on what another package promises (its ``__all__``), never on its private
modules' private names: those can change in any release of that package alone. Within a
package the same holds between classes: a class's underscored members belong to that class,
and its collaborators use a named method or property instead.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest
from source_tree import PACKAGES, ROOT

_NAMED_TUPLE_API = {"_asdict", "_replace", "_fields", "_make"}  # public, underscored to avoid field names


def _sources(package: str) -> list[Path]:
    return sorted(PACKAGES[package].rglob("*.py"))


def _foreign_imports(package: str) -> list[tuple[str, str, str]]:
    """``(where, module, name)`` of every ``from <another package>... import name``."""
    found = []
    for path in _sources(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                top = node.module.split(".")[0]
                if top in PACKAGES and top != package:
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found += [(where, node.module, alias.name) for alias in node.names]
    return found


def _is_own(node: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``: the object whose class the code belongs to."""
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def private_reads(source: str, filename: str = "<source>") -> list[str]:
    """Each ``obj._name`` where ``obj`` is not ``self``, ``cls`` or ``super()``: another object's private state."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not (node.attr.startswith("__") and node.attr.endswith("__"))
            and node.attr not in _NAMED_TUPLE_API
            and not _is_own(node.value)
        ):
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_names_imported_from_another_package_are_in_its_all(package):
    problems = []
    for where, module_name, name in _foreign_imports(package):
        module = importlib.import_module(module_name)
        public = getattr(module, "__all__", ())
        is_module = (
            importlib.util.find_spec(f"{module_name}.{name}") is not None if hasattr(module, "__path__") else False
        )
        if any(part.startswith("_") for part in module_name.split(".")[1:]):
            problems.append(f"{where}: {module_name} is a private module of another package: import from its top")
        elif name.startswith("_") or not (name in public or is_module):
            problems.append(f"{where}: {module_name}.{name} is not in {module_name}.__all__")
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_read_of_another_objects_underscored_member():
    source = (
        "def rows(wb, other, record):\n"
        "    workers = wb._source.max_workers\n"
        "    return self._ok, cls._ok, super()._ok, record._asdict(), other.__class__, workers\n"
    )
    assert private_reads(source) == ["<source>:2: wb._source"]


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_module_reads_another_objects_underscored_members(package):
    found = [
        hit
        for path in _sources(package)
        for hit in private_reads(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert _sources(package) and found == [], "give that class a named method or property instead:\n" + "\n".join(found)


# Public means public: a package's API is its top-level ``__all__`` plus the sub-APIs its docs name.
# Everything else lives in modules whose names start with ``_``, free to change in any release.
# Core is the exception by design: each of its modules specifies one part of the on-store format
# (``keys``, ``tags``, ``record``, ``series_csv``, ``storage``…) and is the API the other packages use.
DOCUMENTED_SUBMODULES = {
    "lab_workbook_writer": {"lightning", "transformers"},  # docs/integrations.md
    "lab_workbook": set(),
    "lab_workbook_cli": set(),
    "lab_workbook_ui": set(),
}


@pytest.mark.parametrize("package", sorted(DOCUMENTED_SUBMODULES))
def test_implementation_modules_have_private_names(package):
    public = {
        path.stem if path.is_file() else path.name
        for path in PACKAGES[package].iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").is_file()) and not path.name.startswith("_")
    }
    assert public == DOCUMENTED_SUBMODULES[package], "rename implementation modules to _name.py"


@pytest.mark.parametrize("package", sorted(DOCUMENTED_SUBMODULES))
def test_all_is_exactly_the_packages_public_names(package):
    module = importlib.import_module(package)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and name not in DOCUMENTED_SUBMODULES[package]
    }
    assert set(module.__all__) == public | {"__version__"}
