"""``lab-workbook show``: one run in full: record, attempts, parent, artifacts, parameters, last values.

A resumed run lists its attempts (when, where, how each ended) under its status; a forked run
names its parent and step. ``--json`` has ``attempts`` (the count, as in ``list``), ``attempt_list``
and ``parent``.

A run with problems (a damaged run record: status ``unreadable``; an artifact that cannot be
parsed) shows each in a ``problem`` line under its status, and in ``--json`` (``problem``, one
line as in ``list``, and ``problems``, a list).
"""

from __future__ import annotations

from datetime import datetime
import math
import shlex
from typing import TYPE_CHECKING, Any

from lab_workbook_core import ArtifactNotFound, CorruptArtifactError
from lab_workbook_core.times import parse_time, show_time
from rich.text import Text

from .._options import JsonOption, ParamsOption, PrefixOption, TagArgument
from .._output import (
    human_duration,
    human_size,
    iso,
    make_table,
    print_json,
    print_table,
    short_time,
    stdout_console,
    warn,
)
from .._store import find_experiment, open_repository
from .._summary import run_summary

if TYPE_CHECKING:
    from lab_workbook import Experiment
    from lab_workbook_core.attempts import Attempt

__all__ = ["show"]

#: Record fields shown in the header table, in this order (the rest is in --json).
_RECORD_FIELDS = ("host", "user", "pid", "argv", "cwd", "python", "torch", "cuda_devices", "git_commit")


def show(
    tag: TagArgument,
    params: ParamsOption = "parameters.json",
    prefix: PrefixOption = None,
    json: JsonOption = False,
) -> None:
    """Show a run: its record, artifacts with sizes, parameters, and each series' last values."""
    wb = open_repository(prefix)
    exp = find_experiment(wb, tag)
    artifacts = _artifacts(exp)
    names = [a["name"] for a in artifacts]
    parameters, series = _parameters(exp, params, names), _series(exp, names)
    data = {
        **run_summary(exp),  # last: its problem names every artifact found damaged above, too
        "problems": exp.problems,  # the same, one entry each
        "record": exp.info,
        "attempt_list": [_attempt_json(a) for a in exp.attempts],
        "artifacts": artifacts,
        "parameters": parameters,
        "series": series,
    }
    if json:
        print_json(data)
    else:
        _print(data, params, exp)


def _artifacts(exp: Experiment) -> list[dict[str, Any]]:
    """Names and sizes; a series still in segments has the size of its segments so far."""
    return [{"name": a.name, "size": a.size, "in_segments": a.in_segments} for a in exp.artifacts()]


def _parameters(exp: Experiment, name: str, names: list[str]) -> Any:
    if name not in names:
        return None
    try:
        return exp[name]
    except CorruptArtifactError as err:
        warn(str(err))
        return None


def _series(exp: Experiment, names: list[str]) -> dict[str, dict[str, Any]]:
    """For each series: its rows and the last value of each field (the last one logged, skipping gaps)."""
    found: dict[str, dict[str, Any]] = {}
    for name in names:
        if not name.lower().endswith(".csv"):
            continue
        try:
            frame = exp.load_series(name)
        except (ArtifactNotFound, CorruptArtifactError) as err:
            warn(str(err))
            continue
        last: dict[str, Any] = {}
        if len(frame):
            last[str(frame.index.name)] = frame.index[-1]
        for column in frame.columns:
            values = frame[column].dropna()
            last[str(column)] = values.iloc[-1] if len(values) else None
        found[name] = {"rows": len(frame), "last": last}
    return found


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    """One attempt as ``--json`` shows it (times as ISO 8601 UTC strings)."""
    return {
        "attempt": attempt.attempt,
        "started": iso(attempt.started),
        "ended": iso(attempt.ended),
        "host": attempt.host,
        "pid": attempt.pid,
        "status": attempt.status,
        "error": dict(attempt.error) if attempt.error is not None else None,
    }


def _attempt_line(attempt: dict[str, Any]) -> str:
    """``crashed, 2026-01-01 00:00 to 00:50 UTC on node-1 (pid 1001): Type: message``."""
    started, ended = parse_time(attempt["started"]), parse_time(attempt["ended"])
    span = short_time(started) + (f" to {short_time(ended)}" if ended is not None else "")
    where = f" on {attempt['host']}" + (f" (pid {attempt['pid']})" if attempt["pid"] is not None else "")
    error = attempt["error"]
    why = f": {error.get('type')}: {error.get('message')}" if isinstance(error, dict) else ""
    return f"{attempt['status'] or '?'}, {span} UTC{where if attempt['host'] else ''}{why}"


def _cell(value: Any) -> Text:
    if isinstance(value, float):
        return Text("-" if math.isnan(value) else f"{value:.6g}")
    if isinstance(value, datetime):
        return Text(show_time(value))
    if isinstance(value, (list, tuple)):
        return Text(" ".join(map(str, value)) if value else "-")
    return Text("-" if value is None else str(value))


def _print(data: dict[str, Any], params_name: str, exp: Experiment) -> None:
    console = stdout_console()
    record = exp.record
    head = make_table("field", "value", title=f"experiment {data['tag']}")
    head.show_header = False
    head.add_row("status", _cell(data["status"]))
    for problem in data["problems"]:
        head.add_row("problem", Text(problem, style="red"))
    head.add_row("started", _cell(exp.started))
    head.add_row("ended", _cell(exp.ended))
    head.add_row("duration", human_duration(data["duration_seconds"]))
    if data["parent"] is not None:
        step = data["parent"]["step"]
        head.add_row("parent", Text(data["parent"]["tag"] + (f" at step {step}" if step is not None else "")))
    if data["attempts"] > 1:
        head.add_row("attempts", Text(str(data["attempts"])))
        for attempt in data["attempt_list"]:
            head.add_row(f"  attempt {attempt['attempt']}", Text(_attempt_line(attempt)))
    head.add_row("description", _cell(data["description"]))
    error = record.error if record is not None else None
    if error is not None:
        head.add_row("error", Text(f"{error.get('type')}: {error.get('message')}"))
    for key in _RECORD_FIELDS if record is not None else ():
        value = getattr(record, key)
        if value not in (None, "", ()):
            shown = shlex.join(map(str, value)) if key == "argv" else value
            head.add_row(key, _cell(shown))
    print_table(head, console)

    files = make_table("artifact", "size", title="artifacts")
    files.columns[1].justify = "right"
    for item in data["artifacts"]:
        files.add_row(Text(item["name"]), human_size(item["size"]))
    print_table(files, console)

    if isinstance(data["parameters"], dict):
        table = make_table("parameter", "value", title=params_name)
        from lab_workbook import flatten_parameters

        for key, value in flatten_parameters(data["parameters"]).items():
            table.add_row(Text(key), _cell(value))
        print_table(table, console)

    if data["series"]:
        table = make_table("series", "field", "last", "rows", title="last values")
        table.columns[3].justify = "right"
        for name, info in data["series"].items():
            for index, (field, value) in enumerate(info["last"].items()):
                table.add_row(
                    Text(name if index == 0 else ""), Text(field), _cell(value), str(info["rows"]) if index == 0 else ""
                )
        print_table(table, console)
