"""Fixtures for the writer's tests: a view of the store through core's storage, outages, scripts.

Tests check what a user (or the reader) would find in the store, through
``lab_workbook_core`` storage only, never through the writer's internals.
"""

from __future__ import annotations

from collections.abc import Callable
import csv
import io
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import textwrap
from typing import Any

from lab_workbook_core import Storage, load_config, open_storage
from lab_workbook_core.keys import run_record_key, segments_prefix
import pytest


class StoreView:
    """What is in the store under a prefix, read with core's storage."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.storage: Storage = open_storage(load_config(prefix))

    def tags(self) -> list[str]:
        return sorted(p.rstrip("/") for p in self.storage.list("").prefixes)

    def keys(self, tag: str) -> list[str]:
        return sorted(o.key[len(tag) + 1 :] for o in self.storage.list(f"{tag}/", delimiter=None).objects)

    def bytes(self, tag: str, name: str) -> bytes:
        return self.storage.get_bytes(f"{tag}/{name}")

    def record(self, tag: str) -> dict[str, Any]:
        return json.loads(self.storage.get_bytes(run_record_key(tag)))

    def rows(self, tag: str, name: str) -> list[dict[str, str]]:
        return parse_csv(self.bytes(tag, name))

    def segments(self, tag: str, series_file: str) -> list[tuple[str, bytes]]:
        listing = self.storage.list(segments_prefix(tag, series_file), delimiter=None)
        return [
            (o.key.rsplit("/", 1)[1], self.storage.get_bytes(o.key))
            for o in sorted(listing.objects, key=lambda o: o.key)
        ]

    parse = staticmethod(lambda data: parse_csv(data))

    def everything(self) -> bytes:
        """Every stored byte, concatenated (to look for what must not be there)."""
        listing = self.storage.list("", delimiter=None)
        return b"".join(self.storage.get_bytes(o.key) for o in listing.objects)


def parse_csv(data: bytes) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts; refuses a file whose last line is not complete."""
    text = data.decode("utf-8")
    assert text.endswith("\r\n"), f"torn last line: {text[-80:]!r}"
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def store(store_prefix: str) -> StoreView:
    """The store of the current backend (local folder, then S3)."""
    return StoreView(store_prefix)


@pytest.fixture
def outage(request: pytest.FixtureRequest, store_prefix: str) -> Any:
    """``stop()``/``start()`` the current store: moto's server for S3; the folder moved away locally."""
    if request.node.callspec.params["store_prefix"] == "s3":
        return request.getfixturevalue("s3_server")
    return _FolderOutage(Path(store_prefix))


class _FolderOutage:
    """A local store that becomes unusable: its folder replaced by a plain file (like a lost mount)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.aside = folder.with_name(folder.name + ".away")

    def stop(self) -> None:
        self.folder.rename(self.aside)
        self.folder.write_text("the store is down")

    def start(self) -> None:
        self.folder.unlink()
        self.aside.rename(self.folder)


@pytest.fixture
def run_script(tmp_path: Path) -> Callable[..., subprocess.Popen[str]]:
    """Start ``python -c <code>`` (dedented) in a subprocess that inherits the test's environment."""
    started: list[subprocess.Popen[str]] = []

    def start(code: str, *, cwd: Path | None = None) -> subprocess.Popen[str]:
        script = tmp_path / f"script_{len(started)}.py"
        script.write_text(textwrap.dedent(code))
        process = subprocess.Popen(
            [sys.executable, str(script)],
            cwd=cwd or tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A git repository with one commit, in a temporary folder."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@x",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@x",
    }
    for args in (["init", "-q"], ["config", "commit.gpgsign", "false"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    (repo / "train.py").write_text("lr = 0.1\n")
    (repo / ".gitignore").write_text("*.log\n")
    subprocess.run(["git", "add", "."], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "first commit"], cwd=repo, check=True, env=env)
    return repo
