"""``lab-workbook checkout``: the code of a run, re-created in a new folder from its tag.

The work is the reader's (:meth:`lab_workbook.Experiment.checkout`): a ``git worktree``
of the recorded commit, the recorded patch applied, the untracked text files written.
What was restored goes to stderr, the folder's path to stdout (``cd "$(lab-workbook
checkout TAG)"``). When something could not be restored the command says what, leaves
the folder for inspection, and exits 1.
"""

from __future__ import annotations

from pathlib import Path
import subprocess
from typing import Annotated

import typer

from .._options import JsonOption, PrefixOption, TagArgument
from .._output import print_json
from .._store import find_experiment, open_repository

__all__ = ["checkout", "default_directory"]


def checkout(
    tag: TagArgument,
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="[DIR]",
            help="A new or empty folder. Default: <tag> here, or beside the repository "
            "you are in (never inside your working tree).",
            show_default=False,
        ),
    ] = None,
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            metavar="PATH",
            help="The repository holding the run's commit. Default: the one you "
            "are in, else the run's recorded working directory.",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str,
        typer.Option("--name", metavar="NAME", help="The common name of the git artifacts (save_git_status(name))."),
    ] = "Source",
    prefix: PrefixOption = None,
    json: JsonOption = False,
) -> None:
    """Re-create a run's code: its commit checked out, its patch applied, its untracked files written."""
    from lab_workbook import CheckoutIncomplete

    wb = open_repository(prefix)
    exp = find_experiment(wb, tag)
    target = directory if directory is not None else default_directory(exp.tag, Path.cwd())
    try:
        result = exp.checkout(target, repo=repo, name=name)
    except CheckoutIncomplete as err:
        result = err.result
        if json:
            _print_json(result)
            raise typer.Exit(1) from None
        for line in result.restored:
            typer.echo(f"restored {line}", err=True)
        raise
    if json:
        _print_json(result)
        return
    for line in result.restored:
        typer.echo(f"restored {line}", err=True)
    typer.echo(str(result.path))


def default_directory(tag: str, cwd: Path) -> Path:
    """``<tag>`` in ``cwd``, or, inside a git working tree, ``<repository>-<tag>`` beside its root."""
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return cwd / tag
    if top.returncode != 0 or not top.stdout.strip():
        return cwd / tag
    root = Path(top.stdout.strip())
    return root.parent / f"{root.name}-{tag}"


def _print_json(result: object) -> None:
    from dataclasses import asdict

    data = asdict(result)  # type: ignore[call-overload]
    data["complete"] = not data["problems"]
    print_json(data)
