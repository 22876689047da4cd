"""The code state of a run: ``git log -n 1``, ``git diff HEAD`` and the untracked files.

``git diff HEAD`` misses files that were never added, which is where a quick
experiment's new script often lives; they are rendered as a patch against
``/dev/null`` (text only, 1 MiB in total), with binaries and files past the cap
listed in a trailing comment block so the record says they existed.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import subprocess

__all__ = ["UNTRACKED_LIMIT", "GitState", "capture", "head_commit"]

UNTRACKED_LIMIT = 1024 * 1024
_GIT = ["git", "-c", "core.quotepath=off", "--no-pager"]
_ENV = {"GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


@dataclass(frozen=True)
class GitState:
    """The three texts ``save_git_status`` stores."""

    commit: bytes
    patch: bytes
    untracked: bytes


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(
            [*_GIT, "-C", str(repo), *args], capture_output=True, timeout=60, env={**os.environ, **_ENV}, check=False
        )
    except (OSError, subprocess.SubprocessError):  # no git installed, or it hung
        return None


def toplevel(repo: Path) -> Path | None:
    """The root of the repository holding ``repo``, or None outside one (or without git)."""
    result = _git(repo, "rev-parse", "--show-toplevel")
    if result is None or result.returncode != 0:
        return None
    return Path(result.stdout.decode("utf-8", "surrogateescape").strip())


def head_commit(repo: Path) -> str | None:
    """The full hash of ``HEAD``, or None (not a repository, no commit yet, no git)."""
    result = _git(repo, "rev-parse", "--verify", "--quiet", "HEAD")
    if result is None or result.returncode != 0:
        return None
    return result.stdout.decode().strip() or None


def capture(repo: Path) -> GitState | None:
    """The repository's state, or None when ``repo`` is not inside a git repository."""
    root = toplevel(repo)
    if root is None:
        return None
    log = _git(root, "log", "-n", "1", "--no-color")
    diff = _git(root, "diff", "HEAD", "--no-color", "--no-ext-diff")
    return GitState(
        commit=log.stdout if log and log.returncode == 0 else b"",
        patch=diff.stdout if diff and diff.returncode == 0 else b"",
        untracked=_untracked_patch(root),
    )


def _untracked_patch(root: Path) -> bytes:
    listed = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    if listed is None or listed.returncode != 0:
        return b""
    names = [n for n in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    parts: list[str] = []
    skipped: list[str] = []
    budget = UNTRACKED_LIMIT
    for name in sorted(names):
        path = root / name
        if path.is_symlink() or not path.is_file():
            skipped.append(f"{name} (not a regular file)")
            continue
        size = path.stat().st_size
        if size > budget:
            skipped.append(f"{name} ({size} bytes: over the {UNTRACKED_LIMIT // 1024} KiB limit)")
            continue
        data = path.read_bytes()
        text = _as_text(data)
        if text is None:
            skipped.append(f"{name} (binary, {size} bytes)")
            continue
        patch = _file_patch(name, text)
        if len(patch.encode("utf-8")) > budget:
            skipped.append(f"{name} ({size} bytes: over the {UNTRACKED_LIMIT // 1024} KiB limit)")
            continue
        budget -= len(patch.encode("utf-8"))
        parts.append(patch)
    if skipped:
        parts.append("# lab-workbook: untracked files not included above:\n")
        parts.extend(f"#   {line}\n" for line in skipped)
    return "".join(parts).encode("utf-8", "surrogateescape")


def _as_text(data: bytes) -> str | None:
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _file_patch(name: str, text: str) -> str:
    head = f"diff --git a/{name} b/{name}\nnew file mode 100644\n"
    if not text:
        return head
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    body = "".join(f"+{line}\n" for line in lines)
    if not text.endswith("\n"):
        body += "\\ No newline at end of file\n"
    return f"{head}--- /dev/null\n+++ b/{name}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
