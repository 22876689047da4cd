"""The previous release of core, writer and reader, built from its git commit into a venv of its own.

``.ci/releases.toml`` names the commit each release was made from (git tags may not travel with a
copy of the repository). The compatibility matrix (``tests/test_compat_releases.py``) installs the
newest release listed of each package, from its sources at that commit, with pip into a fresh venv,
and runs ``tests/compat_side.py`` with that venv's Python: nothing of today's code is on its path.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import io
import os
from pathlib import Path
import subprocess
import sys
import tarfile
import tomllib

__all__ = ["COMPAT_PACKAGES", "RELEASES", "MissingRelease", "Release", "build_previous_release", "previous_releases"]

ROOT = Path(__file__).resolve().parents[1]
RELEASES = ROOT / ".ci" / "releases.toml"
#: The packages whose runs cross machines: a writer of one release, a reader of another (core under both).
COMPAT_PACKAGES = ("core", "writer", "reader")


class MissingRelease(RuntimeError):
    """The release's commit is not in this clone, so the previous release cannot be built."""


@dataclass(frozen=True)
class Release:
    """One package's release: ``packages/<package>`` at ``commit`` is version ``version``."""

    package: str
    version: str
    commit: str


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def previous_releases(path: Path = RELEASES) -> list[Release]:
    """The newest release listed in ``path`` of each of :data:`COMPAT_PACKAGES`."""
    listed = tomllib.loads(path.read_text(encoding="utf-8"))
    releases = []
    for package in COMPAT_PACKAGES:
        versions = listed.get(package) or {}
        if not versions:
            raise MissingRelease(
                f'{path}: no release of {package} is listed; add one as [{package}] "X.Y.Z" = "<commit>"'
            )
        version = max(versions, key=_version_key)
        releases.append(Release(package, version, versions[version]))
    return releases


def _git(*args: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(ROOT), *args], stdout=stdout, stderr=subprocess.PIPE, check=False)


def _check_commit(release: Release) -> None:
    if _git("cat-file", "-e", f"{release.commit}^{{commit}}").returncode != 0:
        raise MissingRelease(
            f"commit {release.commit} of {release.package} {release.version} ({RELEASES.relative_to(ROOT)}) is not in "
            "this clone, so the compatibility matrix cannot build the previous release: clone the full history "
            "(`git fetch --unshallow`, or a CI checkout with fetch-depth 0), or correct the commit in that file"
        )


def _export(release: Release, into: Path) -> Path:
    """``packages/<package>`` as it was at the release's commit, extracted under ``into``."""
    archive = _git("archive", "--format=tar", release.commit, f"packages/{release.package}")
    if archive.returncode != 0:
        raise MissingRelease(f"git archive of {release.package} at {release.commit} failed: {archive.stderr.decode()}")
    folder = into / f"{release.package}-{release.version}"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "packages" / release.package


def build_previous_release(folder: Path, releases: list[Release]) -> Path:
    """A venv under ``folder`` with ``releases`` installed from their commits; its Python.

    The venv is made once per set of commits: a folder already holding one (``ready`` written last)
    is reused, so ``LAB_WORKBOOK_COMPAT_DIR`` can keep it between test sessions on a developer's machine.
    """
    for release in releases:
        _check_commit(release)
    key = hashlib.sha256(" ".join(f"{r.package}={r.version}@{r.commit}" for r in releases).encode()).hexdigest()[:16]
    home = folder / f"release-{key}"
    python = home / "venv" / "bin" / "python"
    if (home / "ready").is_file() and python.is_file():
        return python
    sources = [_export(release, home / "src") for release in releases]
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(home / "venv")], check=True)
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *map(str, sources)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if installed.returncode != 0:
        raise MissingRelease(
            f"pip could not install the previous release into {home / 'venv'}:\n{installed.stderr[-3000:]}"
        )
    (home / "ready").write_text("\n".join(f"{r.package} {r.version} {r.commit}" for r in releases) + "\n")
    return python
