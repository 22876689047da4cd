"""Re-creating the code a run ran: ``exp.checkout(dir)`` and ``lab-workbook checkout``.

From the artifacts ``save_git_status`` recorded: a ``git worktree`` of the recorded
commit in a new folder, the recorded patch applied there, the recorded untracked
text files written. The user's own working tree is never touched: the only thing
done in their repository is ``git worktree add`` (which writes under ``.git/``; undo
it with ``git worktree remove DIR``).

What cannot be restored (a commit the repository lacks, a patch that does not apply,
binary files that were only named) is collected, not raised at the first problem:
the folder is left with everything that could be restored, and
:class:`CheckoutIncomplete` lists the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import os
from pathlib import Path
import subprocess
from typing import TYPE_CHECKING

from lab_workbook_core import ArtifactNotFound, LabWorkbookError, safe_relative_path
from lab_workbook_core.errors import InvalidNameError

from ._codestate import binary_sections, commit_of, parse_untracked

if TYPE_CHECKING:
    from ._experiment import Experiment

__all__ = ["CheckoutError", "CheckoutIncomplete", "CheckoutResult", "checkout"]

_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_PAGER": "cat"}


class CheckoutError(LabWorkbookError, ValueError):
    """The checkout cannot start: nothing recorded to restore, or the target folder is not new."""


class CheckoutIncomplete(LabWorkbookError, RuntimeError):
    """Part of the code could not be restored; ``result`` says what was and what was not."""

    def __init__(self, result: CheckoutResult) -> None:
        self.result = result
        problems = "\n".join(f"  - {p}" for p in result.problems)
        super().__init__(
            f"could not restore all of the code of {result.tag} into {result.path} "
            f"(left there for inspection):\n{problems}"
        )


@dataclass
class CheckoutResult:
    """What a checkout did.

    Attributes:
        tag: the run.
        path: the folder holding the code.
        commit: the recorded commit (``None`` if none was recorded).
        repository: the repository the commit was found in.
        restored: what was restored, one phrase each.
        problems: what was not, one sentence each saying why and what to do.
    """

    tag: str
    path: Path
    commit: str | None = None
    repository: Path | None = None
    restored: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when the folder holds exactly the code the run had."""
        return not self.problems


def _git(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env={**os.environ, **_ENV},
            timeout=300,
            check=False,
        )
    except FileNotFoundError as err:
        raise CheckoutError("checkout needs git, which is not installed (or not on PATH)") from err


def _message(result: subprocess.CompletedProcess[bytes]) -> str:
    text = result.stderr.decode("utf-8", "replace").strip() or result.stdout.decode("utf-8", "replace").strip()
    return "; ".join(line.strip() for line in text.splitlines()[:6]) or f"git exited with {result.returncode}"


def _read(exp: Experiment, name: str) -> str | None:
    try:
        return exp.read_bytes(name).decode("utf-8", "surrogateescape")
    except ArtifactNotFound:
        return None


def checkout(
    exp: Experiment,
    directory: str | os.PathLike[str],
    *,
    repo: str | os.PathLike[str] | None = None,
    name: str = "Source",
) -> CheckoutResult:
    """Re-create the code of ``exp`` in ``directory`` (see :meth:`lab_workbook.Experiment.checkout`)."""
    log, patch, untracked = (_read(exp, name + e) for e in (".git-current-commit", ".git-patch", ".git-untracked"))
    record = exp.record
    commit = commit_of(log or "") or (record.git_commit if record is not None else None)
    if commit is None and patch is None and untracked is None:
        raise CheckoutError(
            f"run {exp.tag} recorded no code state (no {name}.git-* artifacts, no commit in its run record): "
            "call save_git_status() in the training script to record it"
        )
    target = Path(directory).expanduser().absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CheckoutError(f"{target} already exists and is not an empty folder: give a new folder to check out into")
    result = CheckoutResult(exp.tag, target, commit)
    checked_out = commit is not None and _add_worktree(result, commit, _candidates(exp, repo))
    if not checked_out:
        target.mkdir(parents=True, exist_ok=True)
        if commit is None:
            result.problems.append(
                f"no commit was recorded (no {name}.git-current-commit, no git_commit in the run record)"
            )
    if patch is None:
        result.problems.append(f"no {name}.git-patch was recorded: the uncommitted changes, if any, are unknown")
    elif patch.strip():
        _apply_patch(result, patch, f"{name}.git-patch", checked_out)
    if untracked is None:
        result.problems.append(f"no {name}.git-untracked was recorded: untracked files, if any, are unknown")
    else:
        _write_untracked(result, untracked, f"{name}.git-untracked")
    if result.problems:
        raise CheckoutIncomplete(result)
    return result


def _candidates(exp: Experiment, repo: str | os.PathLike[str] | None) -> list[Path]:
    """Where to look for the commit: the repository given, else the current folder's, then the run's folder."""
    if repo is not None:
        return [Path(repo).expanduser().absolute()]
    found = [Path.cwd()]
    record = exp.record
    recorded = record.cwd if record is not None else None
    if recorded and Path(recorded).is_dir() and Path(recorded) != Path.cwd():
        found.append(Path(recorded))
    return found


def _add_worktree(result: CheckoutResult, commit: str, candidates: list[Path]) -> bool:
    looked = []
    for folder in candidates:
        if not folder.is_dir():
            looked.append(f"{folder} (no such folder)")
            continue
        root = _repository_root(folder)
        if root is None:
            looked.append(f"{folder} (not a git repository)")
            continue
        if _git("cat-file", "-e", f"{commit}^{{commit}}", cwd=root).returncode != 0:
            looked.append(f"{root} (no such commit)")
            continue
        added = _git("worktree", "add", "--detach", "--quiet", str(result.path), commit, cwd=root)
        if added.returncode != 0:
            result.problems.append(f"git worktree add of {commit[:12]} in {root} failed: {_message(added)}")
            return False
        result.repository = root
        result.restored.append(f"commit {commit[:12]} (a worktree of {root}; remove it with git worktree remove)")
        return True
    result.problems.append(
        f"commit {commit} is not in {', '.join(looked)}: fetch it there (git fetch --all), "
        "or give the repository that has it (--repo / repo=)"
    )
    return False


def _repository_root(folder: Path) -> Path | None:
    """The top of the working tree holding ``folder``, or ``folder`` itself for a bare repository."""
    top = _git("rev-parse", "--show-toplevel", cwd=folder)
    if top.returncode == 0 and top.stdout.strip():
        return Path(top.stdout.decode("utf-8", "surrogateescape").strip())
    bare = _git("rev-parse", "--is-bare-repository", cwd=folder)
    return folder if bare.returncode == 0 and bare.stdout.strip() == b"true" else None


def _apply_patch(result: CheckoutResult, patch: str, artifact: str, checked_out: bool) -> None:
    text, binary = binary_sections(patch)
    for path in binary:
        result.problems.append(f"{path}: a binary change, recorded only as 'Binary files differ'; restore it by hand")
    if not text:
        return
    if not checked_out:
        _keep(result, artifact, patch, "not applied: there is no checkout of its commit to apply it to")
        return
    strip = (
        "-p1"
        if all(line.startswith("diff --git a/") for line in text.splitlines() if line.startswith("diff --git "))
        else "-p0"
    )
    applied = _git(
        "apply", "--whitespace=nowarn", strip, "-", cwd=result.path, stdin=text.encode("utf-8", "surrogateescape")
    )
    if applied.returncode != 0:
        _keep(result, artifact, patch, f"does not apply to {result.commit and result.commit[:12]}: {_message(applied)}")
        return
    files = text.count("\ndiff --git ") + 1
    result.restored.append(f"{artifact}: {files} file{'s' if files != 1 else ''} changed")


def _keep(result: CheckoutResult, artifact: str, patch: str, why: str) -> None:
    """Leave the patch beside the code so it can be applied by hand, and say so."""
    kept = result.path / artifact
    kept.write_bytes(patch.encode("utf-8", "surrogateescape"))
    result.problems.append(f"{artifact} {why}; it is saved as {kept}")


def _write_untracked(result: CheckoutResult, text: str, artifact: str) -> None:
    files = parse_untracked(text)
    written = 0
    root = result.path.resolve()
    for relative, content in files.files.items():
        try:
            path = result.path / safe_relative_path(relative)
        except InvalidNameError:
            path = None
        if path is None or path.is_symlink() or not path.parent.resolve().is_relative_to(root):
            # artifacts come from whoever can write to the store: never write outside the folder
            result.problems.append(f"{relative}: an untracked file name that would leave the folder; not written")
            continue
        if path.exists():
            result.problems.append(
                f"{relative}: recorded as untracked, but the checkout already has it; not overwritten"
            )
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8", "surrogateescape"))
        written += 1
    if written:
        result.restored.append(f"{artifact}: {written} untracked file{'s' if written != 1 else ''} written")
    result.problems += [f"{p}: an untracked file {artifact} could not parse; not written" for p in files.unreadable]
    result.problems += [f"untracked {line}: only its name was recorded" for line in files.skipped]
