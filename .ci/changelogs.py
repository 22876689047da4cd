"""The packages' versions, changelogs and sibling ranges, as files: what the release command and the CI check read.

Each package has ``packages/<name>/CHANGELOG.md`` (Keep a Changelog: ``## [Unreleased]``, then
``## [X.Y.Z] - YYYY-MM-DD`` sections, newest first), its version in ``src/<import>/__about__.py`` and
ranges on its siblings in ``pyproject.toml`` (``"lab-workbook-core>=0.2,<0.3"``). Standard library only:
``.ci/check_changelogs.py`` runs on a bare ``python3``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import re

__all__ = [
    "DISTRIBUTIONS",
    "IMPORTS",
    "Package",
    "Section",
    "compatible_range",
    "format_version",
    "parse_version",
    "sections",
    "sibling_ranges",
]

#: Short name (as in ``packages/<name>``) -> distribution name and import name.
DISTRIBUTIONS = {
    "core": "lab-workbook-core",
    "writer": "lab-workbook-writer",
    "reader": "lab-workbook",
    "cli": "lab-workbook-cli",
    "ui": "lab-workbook-ui",
}
IMPORTS = {
    "core": "lab_workbook_core",
    "writer": "lab_workbook_writer",
    "reader": "lab_workbook",
    "cli": "lab_workbook_cli",
    "ui": "lab_workbook_ui",
}

_HEADING = re.compile(r"^## \[(?P<title>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?\s*$")
_VERSION_LINE = re.compile(r'^__version__ = "(?P<version>[^"]+)"\s*$', re.MULTILINE)
_RANGE = re.compile(r'"(?P<name>lab-workbook(?:-core|-writer|-cli|-ui)?)>=(?P<low>[0-9.]+),<(?P<high>[0-9.]+)"')


def parse_version(text: str) -> tuple[int, int, int]:
    """``"0.2.0"`` -> ``(0, 2, 0)``; ``"0.2"`` -> ``(0, 2, 0)``."""
    parts = [int(part) for part in text.split(".")]
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"not a version X.Y.Z: {text!r}")
    major, minor, patch = [*parts, 0, 0][:3]
    return major, minor, patch


def format_version(version: tuple[int, int, int]) -> str:
    return ".".join(map(str, version))


def compatible_range(version: tuple[int, int, int]) -> tuple[str, str]:
    """The range siblings require of ``version``: same minor under 1.0 (the 0.x rule), same major after."""
    major, minor, _ = version
    if major == 0:
        return f"0.{minor}", f"0.{minor + 1}"
    return f"{major}.{minor}", f"{major + 1}"


@dataclass(frozen=True)
class Section:
    """One ``## [...]`` section of a changelog: its title (``Unreleased`` or a version), date and entries."""

    title: str
    date: str | None
    start: int  # line index of the heading
    end: int  # line index after its last line
    entries: tuple[str, ...]


def sections(text: str) -> list[Section]:
    """The ``## [...]`` sections of a changelog, in file order."""
    lines = text.splitlines()
    heads = [(index, match) for index, line in enumerate(lines) if (match := _HEADING.match(line))]
    found = []
    for number, (index, match) in enumerate(heads):
        end = heads[number + 1][0] if number + 1 < len(heads) else len(lines)
        entries = tuple(line for line in lines[index + 1 : end] if line.startswith("- "))
        found.append(Section(match["title"], match["date"], index, end, entries))
    return found


def sibling_ranges(pyproject: str) -> list[tuple[str, str, str]]:
    """``(distribution, low, high)`` of every ``"lab-workbook…>=low,<high"`` dependency in a pyproject.toml."""
    return [(m["name"], m["low"], m["high"]) for m in _RANGE.finditer(pyproject)]


@dataclass(frozen=True)
class Package:
    """The files of ``packages/<name>`` under ``root`` that a release reads and writes."""

    root: Path
    name: str

    @property
    def folder(self) -> Path:
        return self.root / "packages" / self.name

    @property
    def distribution(self) -> str:
        return DISTRIBUTIONS[self.name]

    @property
    def changelog(self) -> Path:
        return self.folder / "CHANGELOG.md"

    @property
    def about(self) -> Path:
        return self.folder / "src" / IMPORTS[self.name] / "__about__.py"

    @property
    def pyproject(self) -> Path:
        return self.folder / "pyproject.toml"

    def version(self) -> tuple[int, int, int]:
        """The version ``__about__.py`` says."""
        match = _VERSION_LINE.search(self.about.read_text(encoding="utf-8"))
        if match is None:
            raise ValueError(f'{self.about}: no line __version__ = "X.Y.Z"')
        return parse_version(match["version"])

    def set_version(self, version: tuple[int, int, int]) -> None:
        text = self.about.read_text(encoding="utf-8")
        self.about.write_text(_VERSION_LINE.sub(f'__version__ = "{format_version(version)}"', text), encoding="utf-8")
