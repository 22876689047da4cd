"""``lab-workbook get``: download an experiment's artifacts into a folder, and never outside it.

Artifact names come from whoever could write to the bucket, so every name is
checked before anything touches the disk: a name that is absolute, has a ``..``
component or would land outside the target folder once joined (through a symlink
already there, say) is skipped with a warning. The other artifacts are still
downloaded, and the command then exits 1 so that a script notices the copy is
incomplete.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from lab_workbook_core import AccessDenied, ArtifactNotFound, InvalidNameError, closest, safe_relative_path
import typer

from .._options import JsonOption, PrefixOption, TagArgument
from .._output import byte_progress, human_size, print_json, warn
from .._store import find_experiment, open_repository

if TYPE_CHECKING:
    from lab_workbook import ArtifactInfo

__all__ = ["get"]


def get(
    tag: TagArgument,
    artifacts: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="ARTIFACT", help="Artifact names or folders to download (default: all).", show_default=False
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="DIR", show_default=False, help="Target folder (default: ./TAG)."),
    ] = None,
    prefix: PrefixOption = None,
    json: JsonOption = False,
) -> None:
    """Download an experiment's artifacts (all, or those named) into a folder."""
    exp = find_experiment(open_repository(prefix), tag)
    chosen = _select(exp.artifacts(), artifacts or [])
    target = (output or Path(exp.tag)).expanduser()
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    done: list[dict[str, object]] = []
    skipped: list[dict[str, str]] = []
    plan: list[tuple[ArtifactInfo, Path]] = []
    for artifact in chosen:
        try:
            plan.append((artifact, _destination(root, artifact.name)))
        except InvalidNameError as err:
            skipped.append({"name": artifact.name, "reason": str(err)})
            warn(f"skipped {artifact.name!r}: {err}")
    with byte_progress("downloading", sum(a.size for a, _ in plan)) as advance:
        for artifact, dest in plan:
            try:
                exp.download(artifact.name, dest, progress=advance)  # a series in segments is assembled
            except (InvalidNameError, AccessDenied) as err:
                skipped.append({"name": artifact.name, "reason": str(err)})
                warn(f"skipped {artifact.name!r}: {err}")
                continue
            done.append({"name": artifact.name, "path": str(dest), "size": artifact.size})
    _report(exp.tag, target, done, skipped, json)
    if skipped:
        typer.echo(f"error: {len(skipped)} artifact(s) not downloaded, see the warnings above", err=True)
        raise typer.Exit(1)


def _select(artifacts: list[ArtifactInfo], wanted: list[str]) -> list[ArtifactInfo]:
    """The artifacts named (exactly, or as a folder) by ``wanted``; all when it is empty."""
    if not wanted:
        return artifacts
    names = [a.name for a in artifacts]
    chosen: dict[str, ArtifactInfo] = {}
    for want in wanted:
        folder = want.rstrip("/") + "/"
        matches = [a for a in artifacts if a.name == want or a.name.startswith(folder)]
        if not matches:
            hint = closest(want, names)
            hint_text = f"; did you mean {', '.join(map(repr, hint))}?" if hint else ""
            raise ArtifactNotFound(
                f"no artifact {want!r} in this experiment{hint_text} (`lab-workbook show` lists them)"
            )
        chosen.update((a.name, a) for a in matches)
    return sorted(chosen.values(), key=lambda a: a.name)


def _destination(root: Path, name: str) -> Path:
    """Where ``name`` goes under ``root`` (resolved); raises for any name that would leave it."""
    relative = safe_relative_path(name)  # no absolute path, no '..', no empty component
    dest = root.joinpath(*relative.parts)
    # A symlink already inside the folder could still lead out: resolve what exists.
    if not os.path.realpath(dest).startswith(str(root) + os.sep):
        raise InvalidNameError(f"{name!r} would be written outside {root} (through a symbolic link)")
    return dest


def _report(tag: str, target: Path, done: list[dict[str, object]], skipped: list[dict[str, str]], json: bool) -> None:
    if json:
        print_json({"tag": tag, "directory": str(target), "files": done, "skipped": skipped})
        return
    for item in done:
        typer.echo(os.path.join(target, str(item["name"])))
    total = sum(int(item["size"]) for item in done)  # type: ignore[call-overload]
    typer.echo(f"{len(done)} artifact(s), {human_size(total)}, in {target}", err=True)
