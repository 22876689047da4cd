"""A class's underscored members belong to that class: what the writer's modules import and reach.

That no module reads another object's ``_...`` members is checked for every package, the writer
included, by ``tests/test_package_boundaries.py``.

Collaborators (the integrations, lifecycle hooks, the environment capture, system metrics)
use named methods instead: ``on_close``, ``note_outcome``, ``note_exception``, callbacks.
``Experiment``'s parts (``Saving``, ``Closing``) are classes of their own: they share the run's
``RunState`` through its public attributes and methods, never through each other's ``_...``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lab_workbook_writer

SOURCES = sorted(Path(lab_workbook_writer.__file__).parent.glob("*.py"))
_NAMED_TUPLE_API = {"_asdict", "_replace", "_fields", "_make"}  # public, underscored to avoid field names


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__")) and name not in _NAMED_TUPLE_API


def private_imports(source: str, filename: str = "<source>") -> list[str]:
    """Each underscored name imported from another module (``from ._spool import _helper``); modules aside."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.ImportFrom) and node.module is not None:  # `from . import _spool`: a module
            found += [f"{filename}:{node.lineno}: {alias.name}" for alias in node.names if _is_private(alias.name)]
    return found


def test_no_writer_module_imports_another_modules_underscored_names():
    assert private_imports("from ._series import _live, TimeSeriesLog\nfrom . import _spool\n") == ["<source>:1: _live"]
    found = [hit for path in SOURCES for hit in private_imports(path.read_text(encoding="utf-8"), path.name)]
    assert found == [], "\n".join(found)


def test_the_environment_capture_does_not_import_the_experiment():
    path = Path(lab_workbook_writer.__file__).parent / "_environment.py"
    imported = {
        node.module
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
    }
    assert "experiment" not in imported and "lab_workbook_writer._experiment" not in imported
