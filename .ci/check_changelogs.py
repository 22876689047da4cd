#!/usr/bin/env python3
"""CI: every package's changelog keeps up with its source, and its version with its siblings' ranges.

For each of the five packages:

- a package whose ``src/`` changed since the last commit that edited its ``CHANGELOG.md`` (or since then
  in the working tree, unless the changelog is being edited there too) must say what changed under
  ``## [Unreleased]``, with at least one entry;
- the newest released section of the changelog is the version ``__about__.py`` says (``hatch run
  release:prepare`` moves both together);
- every sibling range (``"lab-workbook-core>=0.2,<0.3"``) holds the sibling's version (what hatch's
  workspace also checks when it creates an environment, said here with the file to fix).

Standard library and git only. ``python3 .ci/check_changelogs.py [--root DIR]``; exit 1 with one line
per problem, each saying what to do.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import subprocess
import sys

from changelogs import DISTRIBUTIONS, Package, format_version, parse_version, sections, sibling_ranges


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


def _source_changed(package: Package) -> tuple[bool, str]:
    """Whether ``src/`` differs from the last commit that edited the changelog; and that commit."""
    changelog = package.changelog.relative_to(package.root).as_posix()
    if _git(package.root, "diff", "--quiet", "HEAD", "--", changelog).returncode == 1:
        return False, "the working tree"  # edited now, after any change of src: the latest entry
    last = _git(package.root, "log", "-1", "--format=%H", "--", changelog).stdout.strip()
    if not last:
        raise LookupError(
            f"{changelog}: no commit of it in this clone's history; commit it (a shallow clone needs `git fetch --unshallow`)"
        )
    source = (package.folder / "src").relative_to(package.root).as_posix()
    diff = _git(package.root, "diff", "--quiet", last, "--", source)
    if diff.returncode not in (0, 1):
        raise LookupError(f"git diff {last[:12]} -- {source} failed: {diff.stderr.strip()}")
    return diff.returncode == 1, last


def problems(root: Path) -> list[str]:
    """Every problem found under ``root``, one line each, saying what to do."""
    found: list[str] = []
    versions = {name: Package(root, name).version() for name in DISTRIBUTIONS}
    by_distribution = {DISTRIBUTIONS[name]: (name, version) for name, version in versions.items()}
    for name in DISTRIBUTIONS:
        package = Package(root, name)
        changelog = package.changelog.relative_to(root).as_posix()
        if not package.changelog.is_file():
            found.append(
                f"{changelog}: missing; start one (Keep a Changelog) with a section for {format_version(versions[name])}"
            )
            continue
        parts = sections(package.changelog.read_text(encoding="utf-8"))
        unreleased = [part for part in parts if part.title.lower() == "unreleased"]
        released = [part for part in parts if part.title.lower() != "unreleased"]
        try:
            changed, since = _source_changed(package)
        except LookupError as err:
            found.append(str(err))
            continue
        if changed and not (unreleased and unreleased[0].entries):
            found.append(
                f"{changelog}: packages/{name}/src changed since the changelog was last edited (commit {since[:12]}): "
                "say what changed under '## [Unreleased]' (### Added / Changed / Fixed / Removed, one '- ' line each)"
            )
        if not released:
            found.append(f"{changelog}: no released section; add '## [{format_version(versions[name])}] - YYYY-MM-DD'")
        elif parse_version(released[0].title) != versions[name]:
            found.append(
                f"{changelog}: the newest section is {released[0].title} but {package.about.relative_to(root)} says "
                f"{format_version(versions[name])}; release with `hatch run release:prepare {name} PART`, which moves both"
            )
        for distribution, low, high in sibling_ranges(package.pyproject.read_text(encoding="utf-8")):
            sibling, version = by_distribution[distribution]
            if not parse_version(low) <= version < parse_version(high):
                found.append(
                    f"{package.pyproject.relative_to(root)}: requires {distribution}>={low},<{high} but packages/{sibling} "
                    f"is {format_version(version)}; set the range to the one `hatch run release:prepare` writes"
                )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1], help="the repository")
    args = parser.parse_args(argv)
    found = problems(args.root)
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        print(f"changelogs, versions and sibling ranges of {len(DISTRIBUTIONS)} packages agree")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
