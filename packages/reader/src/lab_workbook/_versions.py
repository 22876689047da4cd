"""``lab_workbook.show_versions()``: what a notebook user pastes into a bug report, as pandas has."""

from __future__ import annotations

from lab_workbook_core.versions import versions_report


def show_versions() -> None:
    """Print every installed lab-workbook package with its version, the formats they write and read, and Python.

    Writer and reader are released separately and often run on different machines: the versions
    on both sides say which features each has and whether they read each other's runs
    (``docs/format.md``, *Compatibility*). ``lab-workbook --version`` prints the same.
    """
    print(versions_report())
