"""``lab-workbook get``: download an experiment's artifacts into a folder, and never outside it.

Artifact names come from whoever could write to the bucket, so every name is
checked before anything touches the disk: a name that is absolute, has a ``..``
component or would land outside the target folder once joined (through a symlink
already there, say) is skipped with a warning. The other artifacts are still
downloaded, and the command then exits 1 so that a script notices the copy is
incomplete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import os
from pathlib import Path
import tempfile
from typing import Annotated

from lab_workbook_core import AccessDenied, ArtifactNotFound, InvalidNameError, ObjectInfo, safe_relative_path
from lab_workbook_core.errors import closest
from lab_workbook_core.keys import is_reserved, parse_segment_key
import typer

from ..options import JsonOption, PrefixOption
from ..output import byte_progress, human_size, print_json, warn
from ..store import Store, open_store

__all__ = ["get"]


@dataclass
class Artifact:
    """One object of the experiment, by its artifact name."""

    name: str
    size: int
    key: str
    in_segments: bool = False  # a series of a running run, not merged yet


def get(
    tag: Annotated[str, typer.Argument(metavar="TAG", help="Tag, unique tag prefix, latest or -1.", show_default=False)],
    artifacts: Annotated[
        list[str] | None,
        typer.Argument(metavar="ARTIFACT", help="Artifact names or folders to download (default: all).", show_default=False),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="DIR", show_default=False, help="Target folder (default: ./TAG)."),
    ] = None,
    prefix: PrefixOption = None,
    json: JsonOption = False,
) -> None:
    """Download an experiment's artifacts (all, or those named) into a folder."""
    store = open_store(prefix)
    full_tag = store.resolve(tag)
    chosen = _select(_artifacts(store, full_tag), artifacts or [])
    target = (output or Path(full_tag)).expanduser()
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    done: list[dict[str, object]] = []
    skipped: list[dict[str, str]] = []
    plan: list[tuple[Artifact, Path]] = []
    for artifact in chosen:
        try:
            plan.append((artifact, _destination(root, artifact.name)))
        except InvalidNameError as err:
            skipped.append({"name": artifact.name, "reason": str(err)})
            warn(f"skipped {artifact.name!r}: {err}")
    with byte_progress("downloading", sum(a.size for a, _ in plan)) as advance:
        for artifact, dest in plan:
            try:
                if artifact.in_segments:
                    _assemble(store, full_tag, artifact.name, dest, advance)
                else:
                    store.storage.download(artifact.key, dest, progress=advance)
            except (InvalidNameError, AccessDenied) as err:
                skipped.append({"name": artifact.name, "reason": str(err)})
                warn(f"skipped {artifact.name!r}: {err}")
                continue
            done.append({"name": artifact.name, "path": str(dest), "size": artifact.size})
    _report(full_tag, target, done, skipped, json)
    if skipped:
        typer.echo(f"error: {len(skipped)} artifact(s) not downloaded, see the warnings above", err=True)
        raise typer.Exit(1)


def _artifacts(store: Store, tag: str) -> list[Artifact]:
    """Every user artifact of ``tag``: everything under ``<tag>/`` but the reserved folder.

    A series of a running run that exists only as segments is included, under its
    final name (``Training loss.csv``), to be assembled when downloaded.
    """
    root = f"{tag}/"
    found: list[ObjectInfo] = store.storage.list(root, delimiter=None).objects
    artifacts = {o.key[len(root) :]: Artifact(o.key[len(root) :], o.size, o.key) for o in found}
    segmented: dict[str, int] = {}
    for info in found:
        segment = parse_segment_key(tag, info.key)
        if segment is not None and segment[0] not in artifacts:
            segmented[segment[0]] = segmented.get(segment[0], 0) + info.size
    chosen = [a for name, a in artifacts.items() if name and not is_reserved(name)]
    chosen += [Artifact(name, size, "", in_segments=True) for name, size in segmented.items()]
    return sorted(chosen, key=lambda a: a.name)


def _assemble(store: Store, tag: str, name: str, dest: Path, advance: Callable[[int], None]) -> None:
    """Write a series still in segments, assembled by the reader, atomically to ``dest``."""
    from lab_workbook import ExperimentRepository

    data = ExperimentRepository(store.config.prefix, cache=False)[tag].read_bytes(name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".lab-workbook-tmp-", dir=dest.parent)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, dest)
    advance(len(data))


def _select(artifacts: list[Artifact], wanted: list[str]) -> list[Artifact]:
    """The artifacts named (exactly, or as a folder) by ``wanted``; all when it is empty."""
    if not wanted:
        return artifacts
    names = [a.name for a in artifacts]
    chosen: dict[str, Artifact] = {}
    for want in wanted:
        folder = want.rstrip("/") + "/"
        matches = [a for a in artifacts if a.name == want or a.name.startswith(folder)]
        if not matches:
            hint = closest(want, names)
            hint_text = f"; did you mean {', '.join(map(repr, hint))}?" if hint else ""
            raise ArtifactNotFound(f"no artifact {want!r} in this experiment{hint_text} (`lab-workbook show` lists them)")
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
