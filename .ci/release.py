#!/usr/bin/env python3
"""Release one package: ``hatch run release:prepare PACKAGE PART``, commit, then ``hatch run release:record PACKAGE``.

``prepare writer minor``:

1. bumps ``packages/writer/src/lab_workbook_writer/__about__.py`` by semantic versioning (``major``,
   ``minor`` or ``patch``; under 1.0 a minor may break, so siblings require the same minor);
2. turns the changelog's ``## [Unreleased]`` (it must have entries) into ``## [X.Y.Z] - today``;
3. where a sibling's range no longer holds the new version (``lab-workbook-writer>=0.2,<0.3`` and a
   0.3.0), writes the new range (``>=0.3,<0.4``) and says so under the sibling's ``## [Unreleased]``,
   since that sibling now needs a release of its own;
4. builds the package's wheel and sdist into ``dist/<package>/`` and runs ``twine check --strict``.

``record writer`` (after the release commit): adds ``"X.Y.Z" = "<HEAD>"`` to ``.ci/releases.toml`` (the
compatibility matrix builds the newest release listed there) and tags HEAD ``writer-vX.Y.Z``; commit the
file and push the tag.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
import re
import shutil
import subprocess
import sys

from changelogs import DISTRIBUTIONS, Package, compatible_range, format_version, parse_version, sections, sibling_ranges

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("major", "minor", "patch")


class ReleaseError(Exception):
    """What stops a release, with what to do."""


def bumped(version: tuple[int, int, int], part: str) -> tuple[int, int, int]:
    """``version`` moved by ``part`` (``major``, ``minor`` or ``patch``), the lower parts reset."""
    major, minor, patch = version
    if part == "major":
        return major + 1, 0, 0
    if part == "minor":
        return major, minor + 1, 0
    return major, minor, patch + 1


def _date_unreleased(package: Package, version: tuple[int, int, int], today: str) -> None:
    text = package.changelog.read_text(encoding="utf-8")
    unreleased = [part for part in sections(text) if part.title.lower() == "unreleased"]
    if not unreleased or not unreleased[0].entries:
        raise ReleaseError(
            f"{package.changelog}: nothing under '## [Unreleased]'; say what this release changes "
            "(### Added / Changed / Fixed / Removed) before preparing it"
        )
    lines = text.splitlines(keepends=True)
    lines[unreleased[0].start] = f"## [{format_version(version)}] - {today}\n"
    package.changelog.write_text("".join(lines), encoding="utf-8")


def _note_unreleased(package: Package, line: str) -> None:
    """Add ``line`` under ``### Changed`` of the changelog's ``## [Unreleased]`` (made above the newest release)."""
    text = package.changelog.read_text(encoding="utf-8")
    parts = sections(text)
    lines = text.splitlines(keepends=True)
    unreleased = [part for part in parts if part.title.lower() == "unreleased"]
    if not unreleased:
        at = parts[0].start if parts else len(lines)
        lines[at:at] = ["## [Unreleased]\n", "\n", "### Changed\n", f"{line}\n", "\n"]
    else:
        section = unreleased[0]
        body = lines[section.start + 1 : section.end]
        changed = next((i for i, text_line in enumerate(body) if text_line.strip() == "### Changed"), None)
        if changed is None:
            lines[section.start + 1 : section.start + 1] = ["\n", "### Changed\n", f"{line}\n"]
        else:
            at = section.start + 1 + changed + 1
            while at < section.end and lines[at].startswith(("- ", "  ")):
                at += 1
            lines[at:at] = [f"{line}\n"]
    package.changelog.write_text("".join(lines), encoding="utf-8")


def _update_siblings(root: Path, released: Package, version: tuple[int, int, int]) -> list[str]:
    """Ranges on ``released`` that no longer hold ``version``, rewritten; the siblings changed."""
    low, high = compatible_range(version)
    changed = []
    for name in DISTRIBUTIONS:
        sibling = Package(root, name)
        if name == released.name:
            continue
        text = sibling.pyproject.read_text(encoding="utf-8")
        for distribution, old_low, old_high in sibling_ranges(text):
            if distribution != released.distribution:
                continue
            if parse_version(old_low) <= version < parse_version(old_high):
                continue
            text = text.replace(f'"{distribution}>={old_low},<{old_high}"', f'"{distribution}>={low},<{high}"')
            sibling.pyproject.write_text(text, encoding="utf-8")
            _note_unreleased(sibling, f"- Requires `{distribution}>={low},<{high}`.")
            changed.append(name)
    return changed


def _run(step: list[str]) -> None:
    result = subprocess.run(step, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"{' '.join(step[1:4])} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def _build(root: Path, package: Package) -> Path:
    """The wheel and sdist in ``dist/<package>/``, checked by twine."""
    out = root / "dist" / package.name
    shutil.rmtree(out, ignore_errors=True)
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(package.folder)])
    _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(out.glob("*")))])
    return out


def prepare(root: Path, name: str, part: str, *, build: bool = True, today: str | None = None) -> str:
    """Steps 1 to 4 of the module docstring; what to do next, as text."""
    package = Package(root, name)
    old = package.version()
    new = bumped(old, part)
    _date_unreleased(package, new, today or datetime.now(UTC).date().isoformat())
    package.set_version(new)
    siblings = _update_siblings(root, package, new)
    report = [f"{package.distribution} {format_version(old)} -> {format_version(new)}"]
    if siblings:
        report.append(
            f"ranges on it updated in {', '.join(siblings)}: each needs a release too (noted under Unreleased)"
        )
    if build:
        report.append(f"built and checked: {_build(root, package).relative_to(root)}/")
    report.append(
        f"next: review, commit 'Release {package.distribution} {format_version(new)}', then `hatch run release:record {name}`"
    )
    return "\n".join(report)


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def record(root: Path, name: str, *, tag: bool = True) -> str:
    """Add the package's version at HEAD to ``.ci/releases.toml`` and tag HEAD ``<name>-vX.Y.Z``."""
    package = Package(root, name)
    version = format_version(package.version())
    dated = [part for part in sections(package.changelog.read_text(encoding="utf-8")) if part.title == version]
    if not dated or not dated[0].date:
        raise ReleaseError(
            f"{package.changelog}: no dated section for {version}; run `hatch run release:prepare {name} PART` first"
        )
    if _git(root, "status", "--porcelain", "--", f"packages/{name}"):
        raise ReleaseError(f"packages/{name} has uncommitted changes: commit the release first, then record it")
    head = _git(root, "rev-parse", "HEAD")
    releases = root / ".ci" / "releases.toml"
    text = releases.read_text(encoding="utf-8")
    table = re.search(rf"^\[{name}\]\n(?:.+\n)*", text, re.MULTILINE)
    if table is None:
        text = text.rstrip("\n") + f'\n\n[{name}]\n"{version}" = "{head}"\n'
    elif f'"{version}" =' in table.group(0):
        raise ReleaseError(f"{releases}: {name} {version} is recorded already")
    else:
        text = text[: table.end()] + f'"{version}" = "{head}"\n' + text[table.end() :]
    releases.write_text(text, encoding="utf-8")
    if tag:
        _git(root, "tag", f"{name}-v{version}", head)
    return f"{name} {version} = {head[:12]} in .ci/releases.toml{f' and tag {name}-v{version}' if tag else ''}: commit the file"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="release", description=__doc__.split("\n\n", 1)[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    commands = parser.add_subparsers(dest="command", required=True)
    prepare_parser = commands.add_parser(
        "prepare", parents=[common], help="bump, date the changelog, update sibling ranges, build, check"
    )
    prepare_parser.add_argument("package", choices=sorted(DISTRIBUTIONS))
    prepare_parser.add_argument("part", choices=PARTS)
    prepare_parser.add_argument("--no-build", action="store_true", help="skip building and twine check")
    record_parser = commands.add_parser(
        "record", parents=[common], help="record HEAD as the release in .ci/releases.toml and tag it"
    )
    record_parser.add_argument("package", choices=sorted(DISTRIBUTIONS))
    record_parser.add_argument("--no-tag", action="store_true", help="only write .ci/releases.toml")
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare":
            print(prepare(args.root, args.package, args.part, build=not args.no_build))
        else:
            print(record(args.root, args.package, tag=not args.no_tag))
    except ReleaseError as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
