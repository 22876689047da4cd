"""Names used across packages are public: listed in the ``__all__`` of the module they come from.

A package may rely on what another package promises (its ``__all__``), never on its private
modules' private names: those can change in any release of that package alone.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "lab_workbook_core": ROOT / "packages/core/src/lab_workbook_core",
    "lab_workbook_writer": ROOT / "packages/writer/src/lab_workbook_writer",
    "lab_workbook": ROOT / "packages/reader/src/lab_workbook",
    "lab_workbook_cli": ROOT / "packages/cli/src/lab_workbook_cli",
    "lab_workbook_ui": ROOT / "packages/ui/src/lab_workbook_ui",
}

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


def _private_attributes(package: str) -> list[str]:
    """``obj._name`` on anything but ``self``/``cls``: another object's private state."""
    found = []
    for path in _sources(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in _NAMED_TUPLE_API
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
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
        if name.startswith("_") or not (name in public or is_module):
            problems.append(f"{where}: {module_name}.{name} is not in {module_name}.__all__")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("package", ["lab_workbook_cli", "lab_workbook_ui"])
def test_presenting_packages_touch_no_private_attribute_of_other_objects(package):
    assert not _private_attributes(package)


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
