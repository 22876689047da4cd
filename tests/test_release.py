"""The release command (``.ci/release.py``) and CI's changelog check (``.ci/check_changelogs.py``).

Each test runs the scripts as CI and a maintainer do, on a scratch git repository holding this
repository's changelogs, ``__about__.py`` files and ``pyproject.toml`` files.
"""

from __future__ import annotations

from pathlib import Path
import shutil
import subprocess
import sys
import tomllib

import pytest

ROOT = Path(__file__).resolve().parents[1]

PACKAGES = {
    "core": "lab_workbook_core",
    "writer": "lab_workbook_writer",
    "reader": "lab_workbook",
    "cli": "lab_workbook_cli",
    "ui": "lab_workbook_ui",
}
UNRELEASED = "## [Unreleased]\n\n### Fixed\n- A fix worth a patch.\n\n"


def _without_unreleased(changelog: Path) -> None:
    """Drop the ``## [Unreleased]`` section: the scratch repository starts just after a release."""
    body = changelog.read_text()
    if "## [Unreleased]" in body:
        start = body.index("## [Unreleased]")
        changelog.write_text(body[:start] + body[body.index("\n## [", start) + 1 :])


@pytest.fixture
def repo(tmp_path: Path, git) -> Path:
    """A git repository with this one's five changelogs (as just released), versions and pyproject files."""
    root = tmp_path / "repo"
    for name, module in PACKAGES.items():
        for relative in ("CHANGELOG.md", "pyproject.toml", f"src/{module}/__about__.py"):
            target = root / "packages" / name / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / "packages" / name / relative, target)
        _without_unreleased(root / "packages" / name / "CHANGELOG.md")
        (root / "packages" / name / "src" / module / "code.py").write_text("VALUE = 1\n")
    (root / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "releases.toml", root / ".ci" / "releases.toml")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "start")
    return root


def _script(name: str, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / ".ci" / name), *args, "--root", str(root)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def _add_unreleased(root: Path, package: str, text: str = UNRELEASED) -> None:
    changelog = root / "packages" / package / "CHANGELOG.md"
    body = changelog.read_text()
    first = body.index("\n## [")
    changelog.write_text(body[: first + 1] + text + body[first + 1 :])


def _version(root: Path, package: str) -> str:
    return (root / "packages" / package / "src" / PACKAGES[package] / "__about__.py").read_text().split('"')[1]


def test_the_check_passes_where_every_package_changed_with_its_changelog(repo):
    result = _script("check_changelogs.py", repo)
    assert result.returncode == 0, result.stderr


def test_a_source_change_without_an_unreleased_entry_fails_the_check_saying_where_to_write(repo, git):
    (repo / "packages/reader/src/lab_workbook/code.py").write_text("VALUE = 2\n")
    git(repo, "commit", "-qam", "reader: a change")
    result = _script("check_changelogs.py", repo)
    assert result.returncode == 1
    assert result.stderr.startswith("packages/reader/CHANGELOG.md: packages/reader/src changed since")
    assert "'## [Unreleased]'" in result.stderr and len(result.stderr.splitlines()) == 1


def test_an_unreleased_entry_made_after_the_change_satisfies_the_check(repo, git):
    (repo / "packages/reader/src/lab_workbook/code.py").write_text("VALUE = 2\n")
    git(repo, "commit", "-qam", "reader: a change")
    _add_unreleased(repo, "reader")
    git(repo, "commit", "-qam", "reader: its changelog")
    (repo / "packages/reader/src/lab_workbook/code.py").write_text("VALUE = 3\n")  # later changes: the section is there
    assert _script("check_changelogs.py", repo).returncode == 0


def test_a_version_the_changelog_does_not_describe_fails_the_check(repo):
    about = repo / "packages/ui/src/lab_workbook_ui/__about__.py"
    about.write_text('__version__ = "0.9.0"\n')
    result = _script("check_changelogs.py", repo)
    assert result.returncode == 1
    assert "packages/ui/CHANGELOG.md: the newest section is" in result.stderr
    assert "says 0.9.0" in result.stderr


def test_a_sibling_range_that_misses_the_siblings_version_fails_the_check(repo):
    pyproject = repo / "packages/writer/pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("lab-workbook-core>=0.2,<0.3", "lab-workbook-core>=0.1,<0.2"))
    result = _script("check_changelogs.py", repo)
    assert result.returncode == 1
    assert (
        "packages/writer/pyproject.toml: requires lab-workbook-core>=0.1,<0.2 but packages/core is 0.2.0"
        in result.stderr
    )


def test_prepare_bumps_the_version_dates_the_section_and_moves_the_siblings_ranges(repo, git):
    _add_unreleased(repo, "core", "## [Unreleased]\n\n### Added\n- A new part of the format.\n\n")
    result = _script("release.py", repo, "prepare", "core", "minor", "--no-build")
    assert result.returncode == 0, result.stderr
    assert _version(repo, "core") == "0.3.0"
    core_log = (repo / "packages/core/CHANGELOG.md").read_text()
    assert "## [Unreleased]" not in core_log
    assert (
        core_log.index("## [0.3.0] - ") < core_log.index("- A new part of the format.") < core_log.index("## [0.2.0]")
    )
    for sibling in ("writer", "reader", "cli", "ui"):
        assert '"lab-workbook-core>=0.3,<0.4"' in (repo / "packages" / sibling / "pyproject.toml").read_text()
        log = (repo / "packages" / sibling / "CHANGELOG.md").read_text()
        unreleased = log[log.index("## [Unreleased]") : log.index("\n## [", log.index("## [Unreleased]") + 1)]
        assert "### Changed\n- Requires `lab-workbook-core>=0.3,<0.4`." in unreleased
    git(repo, "commit", "-qam", "Release lab-workbook-core 0.3.0")
    assert _script("check_changelogs.py", repo).returncode == 0


def test_a_patch_within_the_siblings_ranges_leaves_them_alone(repo):
    _add_unreleased(repo, "writer")
    before = (repo / "packages/cli/pyproject.toml").read_text()
    assert _script("release.py", repo, "prepare", "writer", "patch", "--no-build").returncode == 0
    assert _version(repo, "writer") == "0.2.1"
    assert (repo / "packages/cli/pyproject.toml").read_text() == before
    assert "## [Unreleased]" not in (repo / "packages/cli/CHANGELOG.md").read_text()


def test_prepare_refuses_a_release_with_nothing_under_unreleased_and_changes_nothing(repo, git):
    result = _script("release.py", repo, "prepare", "reader", "minor", "--no-build")
    assert result.returncode == 1
    assert result.stderr.startswith("release: ") and "nothing under '## [Unreleased]'" in result.stderr
    assert git(repo, "status", "--porcelain") == ""


def test_record_adds_the_release_commit_to_releases_toml_and_tags_it(repo, git):
    _add_unreleased(repo, "writer")
    assert _script("release.py", repo, "prepare", "writer", "patch", "--no-build").returncode == 0
    git(repo, "commit", "-qam", "Release lab-workbook-writer 0.2.1")
    head = git(repo, "rev-parse", "HEAD").strip()
    result = _script("release.py", repo, "record", "writer")
    assert result.returncode == 0, result.stderr
    releases = tomllib.loads((repo / ".ci/releases.toml").read_text())
    assert releases["writer"]["0.2.1"] == head and "0.1.0" in releases["writer"]
    assert git(repo, "tag", "--list").split() == ["writer-v0.2.1"]
    again = _script("release.py", repo, "record", "writer", "--no-tag")
    assert again.returncode == 1 and "recorded already" in again.stderr


def test_record_refuses_an_uncommitted_release(repo):
    _add_unreleased(repo, "writer")
    assert _script("release.py", repo, "prepare", "writer", "patch", "--no-build").returncode == 0
    result = _script("release.py", repo, "record", "writer")
    assert result.returncode == 1 and "commit the release first" in result.stderr


def test_a_changelog_being_edited_in_the_working_tree_covers_the_source_changed_before_it(repo, git):
    (repo / "packages/core/src/lab_workbook_core/code.py").write_text("VALUE = 2\n")
    git(repo, "commit", "-qam", "core: a change")
    assert _script("check_changelogs.py", repo).returncode == 1
    changelog = repo / "packages/core/CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("### Added\n", "### Added\n- The change.\n", 1))
    assert _script("check_changelogs.py", repo).returncode == 0
