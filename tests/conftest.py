"""Fixtures for the cross-package tests: a scratch git repository whose working tree a run records, and
a runner for the examples/ scripts."""

from __future__ import annotations

from collections.abc import Callable
import os
from pathlib import Path
import shutil
import subprocess
import sys
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
_IDENTITY = ["-c", "user.name=Tester", "-c", "user.email=tester@example.com", "-c", "commit.gpgsign=false"]


def run_git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; its stdout."""
    return subprocess.run(["git", *_IDENTITY, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def files_under(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but git's own, by relative path: what "byte-identical" compares."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


@pytest.fixture
def git() -> Callable[..., str]:
    """``git(repo, *args)``: run git (with an identity for commits) and get its stdout."""
    return run_git


@pytest.fixture
def tree_files() -> Callable[[Path], dict[str, bytes]]:
    """``tree_files(folder)``: its files but git's own, by relative path, as bytes."""
    return files_under


@pytest.fixture
def scratch_repo(tmp_path: Path) -> Path:
    """A repository with two commits, then uncommitted edits (staged and not) and untracked files.

    Covers what a patch must carry: a modified file, a deleted one, a staged new one, a
    file without a final newline, CRLF line ends, names with spaces and non-ASCII
    characters, and untracked text files in a new folder.
    """
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "project"
    repo.mkdir()
    run_git(repo, "init", "-q")
    (repo / "train.py").write_text("import torch\n\nlr = 0.1\nepochs = 10\n")
    (repo / "model.py").write_text("class Net:\n    depth = 3\n")
    (repo / "old.py").write_text("obsolete = True\n")
    (repo / "data").mkdir()
    (repo / "data" / "crlf.txt").write_bytes(b"line one\r\nline two\r\n")
    (repo / ".gitignore").write_text("*.log\n")
    run_git(repo, "add", ".")
    run_git(repo, "commit", "-q", "-m", "first")
    (repo / "model.py").write_text("class Net:\n    depth = 4\n")
    run_git(repo, "commit", "-qam", "deeper")
    (repo / "train.py").write_text("import torch\n\nlr = 0.02  # lower\nepochs = 10\nwarmup = 2")  # no final newline
    (repo / "old.py").unlink()
    (repo / "data" / "crlf.txt").write_bytes(b"line one\r\nline 2\r\n")
    (repo / "staged new.py").write_text("staged = 'ü'\n")
    run_git(repo, "add", "staged new.py")
    (repo / "experiments").mkdir()
    (repo / "experiments" / "sweep.py").write_text("for lr in (0.1, 0.02):\n    print(lr)\n")
    (repo / "experiments" / "notes é.md").write_text("# notes\n\nno final newline")
    (repo / "experiments" / "empty.txt").write_text("")
    return repo


@pytest.fixture
def unrelated_repo(tmp_path: Path) -> Path:
    """An empty git repository: it holds none of the commits a run in ``scratch_repo`` recorded."""
    repo = tmp_path / "unrelated"
    repo.mkdir()
    run_git(repo, "init", "-q")
    return repo


@pytest.fixture
def record_git_status(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Path], str]:
    """``record_git_status(prefix, repo)``: a run started in ``repo`` that saves its git status; its tag.

    The working directory is left in ``repo`` (as a training script started there would leave it).
    """

    def record(prefix: str, repo: Path) -> str:
        from lab_workbook_writer import new_experiment

        monkeypatch.chdir(repo)
        with new_experiment(prefix, capture_environment=False) as wb:
            assert wb.save_git_status()
        return wb.tag

    return record


@pytest.fixture
def run_example(tmp_path: Path) -> Callable[..., Any]:
    """Run ``examples/<script> --prefix <a fresh local store> <args>``; its one run, as the reader sees it."""

    def run(script: str, *args: str) -> Any:
        from lab_workbook import ExperimentRepository

        prefix = str(tmp_path / "store")
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / script), "--prefix", prefix, *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env={**os.environ, "LAB_WORKBOOK_SPOOL_DIR": str(tmp_path / "spool")},
        )
        assert result.returncode == 0, result.stderr[-3000:]
        repository = ExperimentRepository(prefix)
        (tag,) = repository.tags()
        return repository[tag]

    return run


@pytest.fixture
def spawnable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let processes started with the ``spawn`` method (``ddp_spawn``) unpickle this test's objects.

    Pytest imports a test file as ``tests.test_x`` (``--import-mode=importlib``) without putting the
    repository on ``sys.path``; a spawned child starts with the parent's ``sys.path`` and imports the
    module of each class it unpickles, so the repository must be there. ``python -m pytest`` puts the
    working folder there (which hid this); the ``pytest`` of ``hatch test`` does not.
    """
    monkeypatch.syspath_prepend(str(ROOT))
