"""One run for its page: record, parameters, artifacts with sizes, images, raw artifacts, and a diff with another run.

The reader does the reading (record, loaders, :meth:`~lab_workbook.Experiment.diff`);
this module shapes it for the page. Sizes come from :meth:`~lab_workbook.Experiment.artifacts`
(one listing of the run's folder), as in ``lab-workbook show``, so a series still in segments has
the size of its segments so far.

Images come from the same listing: an image series (``save_image(name, ..., step=...)``
stores ``<name>/step-<8 digits>.png``, parsed by core's :func:`~lab_workbook_core.keys.parse_image_step`)
is one entry with its steps in order, and any other picture artifact (``save_figure``'s ``.png``)
an entry of its own without steps.
"""

from __future__ import annotations

from collections.abc import Sequence
import math
from typing import TYPE_CHECKING, Any

from lab_workbook import artifact_kind, flatten_parameters
from lab_workbook_core import ArtifactNotFound, CorruptArtifactError
from lab_workbook_core.environment import ENVIRONMENT_ARTIFACT
from lab_workbook_core.keys import parse_image_step, picture_type
from lab_workbook_core.record import format_time
from lab_workbook_core.tag_arguments import resolve_tag

if TYPE_CHECKING:
    from lab_workbook import Experiment, ExperimentRepository
    from lab_workbook_core.attempts import Attempt

__all__ = ["artifact_bytes", "diff_payload", "find_run", "images_across", "images_of", "is_text", "run_payload"]

#: Kinds the page shows as text (anything can be downloaded).
TEXT_KINDS = frozenset({"text", "json", "csv"})


def images_of(names: list[str]) -> list[dict[str, Any]]:
    """``[{"name", "steps", "artifacts"}]``: image series with their steps in order, then single pictures.

    ``steps`` is ``[]`` for a picture that is not part of a series (one artifact).
    """
    series: dict[str, list[tuple[int, str]]] = {}
    single = []
    for name in names:
        if step := parse_image_step(name):
            series.setdefault(step[0], []).append((step[1], name))
        elif picture_type(name):
            single.append({"name": name, "steps": [], "artifacts": [name]})
    found = [
        {"name": n, "steps": [s for s, _ in sorted(steps)], "artifacts": [a for _, a in sorted(steps)]}
        for n, steps in sorted(series.items())
    ]
    return found + single


def images_across(wb: ExperimentRepository, tags: list[str]) -> list[dict[str, Any]]:
    """``[{"name", "runs": {tag: {"steps", "artifacts"}}}]``: each image series (with steps) that any of
    the runs has, for the page's images side by side at one step (as ``wb.image_grid`` in a notebook).
    One listing per run (a finished run's is remembered by the reader)."""
    found: dict[str, dict[str, Any]] = {}
    for tag in tags:
        exp = wb.experiment(tag)
        for series in images_of(exp.list_artifacts()):
            if series["steps"]:
                runs = found.setdefault(series["name"], {})
                runs[exp.tag] = {"steps": series["steps"], "artifacts": series["artifacts"]}
    return [{"name": name, "runs": found[name]} for name in sorted(found)]


def is_text(name: str) -> bool:
    """Whether the page offers to view the artifact as text (by its name's ending, as the reader loads it)."""
    return artifact_kind(name) in TEXT_KINDS


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return value


def _parameters(exp: Experiment, params: str) -> tuple[dict[str, Any], str | None]:
    """The flattened parameters and, when they cannot be read, why."""
    try:
        loaded = exp.load(params)
    except ArtifactNotFound:
        return {}, None
    except CorruptArtifactError as err:
        return {}, str(err)
    if not isinstance(loaded, dict):
        return {"(value)": loaded}, None
    return flatten_parameters(loaded), None


def _attempt(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt": attempt.attempt,
        "started": format_time(attempt.started, trim=True) if attempt.started is not None else None,
        "ended": format_time(attempt.ended, trim=True) if attempt.ended is not None else None,
        "host": attempt.host,
        "pid": attempt.pid,
        "status": attempt.status,
        "error": dict(attempt.error) if attempt.error is not None else None,
    }


def find_run(wb: ExperimentRepository, text: str) -> Experiment:
    """The run a tag typed by the user designates: a full tag, a unique prefix, ``latest`` or ``-N``,
    as ``lab-workbook`` commands accept (core's :func:`~lab_workbook_core.tag_arguments.resolve_tag`).

    Raises:
        ExperimentNotFound: no run matches, or a prefix matches several (the message lists them).
    """
    tags = wb.tags()
    return wb.experiment(text if text in tags else resolve_tag(text, tags, str(wb.storage.location)))


def _sources(exp: Experiment, sources: Sequence[str]) -> tuple[dict[str, Any], list[dict[str, Any]], str | None]:
    """The merged parameters (the first source having one gives it), each source found with its own,
    and why a source cannot be read (the first such reason)."""
    merged: dict[str, Any] = {}
    found: list[dict[str, Any]] = []
    problem = None
    for source in sources:
        values, error = _parameters(exp, source)
        problem = problem or error
        if values or error:
            found.append({"artifact": source, "parameters": values, "error": error})
        for key, value in values.items():
            merged.setdefault(key, value)
    return merged, found, problem


def _environment(exp: Experiment, names: list[str]) -> dict[str, Any] | None:
    """The run's ``Environment.txt`` for its page: ``{"facts": {...}, "packages": [[name, version, source]]}``;
    ``None`` without one. One GET, only for the run page (never for the table)."""
    if ENVIRONMENT_ARTIFACT not in names:
        return None
    try:
        found = exp.environment()
    except (ArtifactNotFound, CorruptArtifactError):
        return None
    packages = [
        [p.name, p.version, " ".join(x for x in (p.kind if p.kind != "index" else "", p.source, p.commit) if x)]
        for p in found.packages.values()
    ]
    return {"facts": dict(found.facts), "packages": packages}


def run_payload(wb: ExperimentRepository, tag: str, params: Sequence[str]) -> dict[str, Any]:
    """The run's page: ``record``, ``status``, ``problems``, ``attempts`` (each process the run lived
    through), ``parent`` (``{"tag", "step"}`` of a forked run, else ``None``), ``parameters``,
    ``artifacts`` (name, size, kind, text), ``images``.

    ``problems`` lists why the run cannot be read in full (a damaged run record: status
    ``unreadable``; a parameters file that cannot be parsed), as the runs table's ``problem``
    column does in one line.
    """
    exp = find_run(wb, tag)
    parent = exp.parent
    parameters, sources, problem = _sources(exp, params)
    listed = exp.artifacts()
    names = [a.name for a in listed]
    artifacts = [
        {"name": a.name, "size": a.size, "kind": artifact_kind(a.name), "text": is_text(a.name)} for a in listed
    ]
    payload: dict[str, Any] = _json_safe(
        {
            "tag": exp.tag,
            "status": exp.status,
            "problems": exp.problems,  # after the parameters were read: their damage is one
            "record": exp.info,
            "attempts": [_attempt(a) for a in exp.attempts],
            "parent": {"tag": parent.tag, "step": parent.step} if parent is not None else None,
            "parameters_artifact": params[0],
            "parameters": parameters,
            "parameter_sources": sources,
            "duration": duration.total_seconds() if (duration := exp.duration) is not None else None,
            "parameters_error": problem,
            "artifacts": artifacts,
            "environment": _environment(exp, names),
            "images": images_of(names),
        }
    )
    return payload


def artifact_bytes(wb: ExperimentRepository, tag: str, name: str) -> bytes:
    """The artifact's raw bytes (a series in segments is assembled by the reader)."""
    return wb.experiment(tag).read_bytes(name)


def diff_payload(
    wb: ExperimentRepository, before: str, after: str, params: Sequence[str], patch: str
) -> dict[str, Any]:
    """What ``lab-workbook diff`` shows: parameters that differ side by side, commits, the environment
    line, the patches' diff, and ``lineage``: one sentence per fork between or behind the two runs
    (``B was forked from A at step N``). Runs are named as the CLI names them (a unique prefix,
    ``latest``, ``-N``); parameters come from the first source either run has."""
    a, b = find_run(wb, before), find_run(wb, after)
    names = set(a.list_artifacts()) | set(b.list_artifacts())
    chosen = next((source for source in params if source in names), params[0])
    changes = a.diff(b, params=chosen, patch=patch)
    rows = [
        {"name": str(name), "before": _json_safe(values.iloc[0]), "after": _json_safe(values.iloc[1])}
        for name, values in changes.params.iterrows()
    ]
    return {
        "before": a.tag,
        "after": b.tag,
        "parameters": rows,
        "commits": list(changes.commits),
        "parameters_artifact": chosen,
        "environment": changes.environment,
        "environment_artifact": ENVIRONMENT_ARTIFACT,
        "patch_artifact": patch,
        "patch": changes.patch,
        "lineage": changes.lineage(),
    }
