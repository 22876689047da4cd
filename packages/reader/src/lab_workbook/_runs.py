"""The runs table: one row per experiment, for sorting and querying sweeps in pandas.

Columns: ``tag``, ``status``, ``started``, ``duration``, ``attempts`` (how many processes the run
lived through: 1 unless it was resumed), ``description``, ``problem``, the
flattened parameters (``params.learningRate``, ``params.model.name``) and, for each
series field asked for, its ``last`` and ``best`` value (``error.last``,
``error.best``). Experiments are fetched concurrently; a run without a parameters
file or a series just has NaN there.

A run whose data cannot be read (a damaged run record: status ``unreadable``; a parameters
file or series that cannot be parsed) keeps its row with what could be read, NaN for the
rest and the reasons in ``problem`` (``""`` for a healthy run); one warning names every such
run, so that one damaged run never hides the others. ``strict=True`` raises instead.

The rows come through the reader's one pipeline of run rows (:mod:`lab_workbook._run_rows`:
filters, then the kept rows of finished runs), as ``lab-workbook list``'s do. A finished run's
row never changes, so the rows of finished runs are remembered per choice of parameters,
series and best (:meth:`~lab_workbook.ExperimentRepository.finished_rows`),
in memory and in one file of the disk cache: a table asked for again (a dashboard polling
every few seconds, or the same notebook cell in a new process) costs a dictionary lookup
per finished run, and only the runs still going, or new, are read. Rows are therefore
plain JSON until the frame is made: ``started`` an ISO 8601 string, ``duration`` whole
microseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
import json
import math
from typing import TYPE_CHECKING, Any
import warnings

from lab_workbook_core import ArtifactNotFound, CorruptArtifactError
from lab_workbook_core.attempts import attempt_count
from lab_workbook_core.record import FINISHED, UNREADABLE, RunRecord, format_time, parse_time, record_problems
from lab_workbook_core.summary import FieldSummary, RunSummary, thawed_json
from lab_workbook_core.tags import tag_minute
import pandas as pd

from .__about__ import __version__
from ._parameters import flatten_parameters
from ._problems import UnreadableRunsWarning
from ._run_rows import ATTEMPTS_COLUMN, run_started

if TYPE_CHECKING:
    from ._experiment import Experiment
    from ._repository import ExperimentRepository

__all__ = ["runs_table"]

_BEST = {"min", "max"}
_JSON_SCALARS = (str, int, float, bool, type(None))
_MICROSECOND = timedelta(microseconds=1)
#: Bumped when the rows' columns change: rows kept by an older version are not mixed in.
_ROW_FORMAT = 3
#: Runs named one by one in the warning about runs that cannot be read; the rest are counted.
_NAMED = 10
_COLUMNS = ["tag", "status", "started", "duration", ATTEMPTS_COLUMN, "description", "problem"]


def _moment(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def _fields(series: Mapping[str, str | Sequence[str]]) -> list[tuple[str, str, str]]:
    """``(artifact, field, column prefix)``; the series' name joins the prefix only when a field repeats."""
    pairs = [(a, f) for a, fs in series.items() for f in ([fs] if isinstance(fs, str) else fs)]
    names = [f for _, f in pairs]
    return [(a, f, f if names.count(f) == 1 else f"{a.removesuffix('.csv')}.{f}") for a, f in pairs]


_NOT_SUMMARISED = object()
_NO_NUMBERS = FieldSummary(math.nan, math.nan, math.nan)  # a field the series' summary does not list


def _summarised_json(record: RunRecord, artifacts: Mapping[str, Any] | None, name: str) -> Any:
    """A JSON artifact from a finished run's summary: its value, ``None`` if the run has no such
    artifact, or ``_NOT_SUMMARISED`` when the artifact itself has to be read.

    ``artifacts``: the record's :meth:`~lab_workbook_core.record.RunRecord.complete_artifacts`."""
    if artifacts is None or record.summary is None:
        return _NOT_SUMMARISED
    if name not in artifacts:
        return None
    values = record.summary.json
    return thawed_json(values[name]) if name in values else _NOT_SUMMARISED


def _summarised_series(
    record: RunRecord, artifacts: Mapping[str, Any] | None, artifact: str
) -> Mapping[str, FieldSummary | None] | None:
    """``{field: its numbers or None}`` of a finished run's series (``{}``: no such series),
    or ``None`` when the series itself has to be read."""
    if artifacts is None or record.summary is None:
        return None
    if artifact not in artifacts:
        return {}
    found = record.summary.series_of(artifact)
    return found.fields if found is not None else None


def _plain(value: Any) -> Any:
    """A series' value as JSON can hold it (numpy scalars become Python numbers)."""
    if isinstance(value, _JSON_SCALARS):
        return value
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, _JSON_SCALARS) else str(value)


def _row(
    exp: Experiment,
    params: str | None,
    fields: list[tuple[str, str, str]],
    best: Mapping[str, str],
    strict: bool,
) -> dict[str, Any]:
    """The experiment's row (the pipeline, :mod:`lab_workbook._run_rows`, filtered the run already).

    A finished run's record usually carries a summary (``docs/format.md``): its parameters and
    each series field's last, min and max, so the row needs no request beyond the record.
    """
    record = exp.record
    status = exp.status  # "unreadable" for a damaged record, which must not hide the other runs
    started = run_started(exp)
    if strict and status == UNREADABLE:
        raise CorruptArtifactError(exp.problems[0])
    duration = exp.duration
    row: dict[str, Any] = {
        "tag": exp.tag,
        "status": status,
        "started": format_time(started) if started is not None else None,
        "duration": duration // _MICROSECOND if duration is not None else None,
        ATTEMPTS_COLUMN: attempt_count(record),
        "description": exp.description,
        "problem": "",
    }
    # None unless the run is over and its record has a summary
    complete = record.complete_artifacts() if record is not None else None
    if params:
        loaded = (
            _summarised_json(record, complete, params)
            if record is not None and complete is not None
            else _NOT_SUMMARISED
        )
        if loaded is _NOT_SUMMARISED:
            loaded = _quietly(lambda: exp.load(params), strict)
        if isinstance(loaded, Mapping):
            row.update(flatten_parameters(loaded, "params"))
    for artifact in dict.fromkeys(a for a, _, _ in fields):
        mine = [(f, column) for a, f, column in fields if a == artifact]
        # A resumed run's summary may count rows that a later attempt logged again: its series are read
        # once (the row is kept) so that last and best are those of the default frame (docs/format.md).
        summarised = (
            _summarised_series(record, complete, artifact)
            if record is not None and complete is not None and row[ATTEMPTS_COLUMN] == 1
            else None
        )
        if summarised is not None and all(f not in summarised or summarised[f] is not None for f, _ in mine):
            row.update(_summarised_columns(summarised, mine, best))
            continue
        wanted = [f for f, _ in mine]
        frame = _quietly(lambda artifact=artifact, wanted=wanted: exp.load_series(artifact, wanted), strict)
        for field, column in mine:
            values = frame[field].dropna() if frame is not None and field in frame.columns else pd.Series(dtype=float)
            choose = best.get(field, best.get(column, "min"))
            row[f"{column}.last"] = _plain(values.iloc[-1]) if len(values) else float("nan")
            row[f"{column}.best"] = (
                _plain(values.max() if choose == "max" else values.min()) if len(values) else float("nan")
            )
    if params:  # a parameters file of another kind than JSON may hold anything
        _as_json(row)
    row["problem"] = "; ".join(exp.problems)  # what the loads above noted, and the record's damage
    return row


def _summarised_columns(
    summarised: Mapping[str, FieldSummary | None], mine: list[tuple[str, str]], best: Mapping[str, str]
) -> dict[str, Any]:
    """The ``last`` and ``best`` columns of one series' fields ``(field, column)`` from its summary."""
    columns: dict[str, Any] = {}
    for field, column in mine:
        numbers = summarised.get(field) or _NO_NUMBERS
        choose = best.get(field, best.get(column, "min"))
        columns[f"{column}.last"] = numbers.last
        columns[f"{column}.best"] = numbers.max if choose == "max" else numbers.min
    return columns


def _as_json(row: dict[str, Any]) -> None:
    for key, value in row.items():
        if not isinstance(value, _JSON_SCALARS):
            row[key] = value if _is_json(value) else str(value)


def _indexed_row(
    tag: str,
    record: Mapping[str, Any],
    params: str | None,
    fields: list[tuple[str, str, str]],
    best: Mapping[str, str],
) -> dict[str, Any] | None:
    """The row :func:`_row` makes, straight from a finished run's record as the runs index holds it
    (decoded JSON): no :class:`RunRecord`, no experiment, no request. 100,000 indexed runs are
    made this way in seconds where ``_row`` takes a millisecond each.

    ``None`` (make the row with ``_row``) unless the row needs nothing but the record: a valid
    record (:func:`record_problems`) of a finished run never resumed, whose summary holds the
    parameters and every series field asked for.
    """
    summary, artifacts = record.get("summary"), record.get("artifacts")
    if (
        record.get("status") != FINISHED
        or record.get("tag") not in (None, tag)
        or not isinstance(summary, Mapping)
        or not isinstance(artifacts, Mapping)
        or attempt_count(record) != 1
        or record_problems(record)
    ):
        return None
    view = RunSummary(summary)  # core's reading of a summary, over the decoded JSON as it is
    started_at = parse_time(record.get("started"))
    started = started_at or tag_minute(tag)
    last = parse_time(record.get("ended")) or parse_time(record.get("heartbeat"))
    description = record.get("description")
    row: dict[str, Any] = {
        "tag": tag,
        "status": FINISHED,
        "started": format_time(started) if started is not None else None,
        "duration": (last - started_at) // _MICROSECOND if started_at and last else None,
        ATTEMPTS_COLUMN: 1,
        "description": description,
        "problem": "",
    }
    if params and params in artifacts:
        values = view.json
        if params not in values:
            return None
        loaded = thawed_json(values[params])
        if isinstance(loaded, Mapping):
            row.update(flatten_parameters(loaded, "params"))
    for artifact in dict.fromkeys(a for a, _, _ in fields):
        mine = [(f, column) for a, f, column in fields if a == artifact]
        found = view.series_of(artifact) if artifact in artifacts else None
        summarised = found.fields if found is not None else ({} if artifact not in artifacts else None)
        if summarised is None or any(f in summarised and summarised[f] is None for f, _ in mine):
            return None
        row.update(_summarised_columns(summarised, mine, best))
    if params:
        _as_json(row)
    return row


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _quietly(load: Any, strict: bool) -> Any:
    """``load()``, or ``None`` for an artifact the run does not have, or cannot be parsed (the
    experiment notes that problem, and the table shows it) unless ``strict``."""
    try:
        return load()
    except ArtifactNotFound:
        return None
    except CorruptArtifactError:
        if strict:
            raise
        return None


def _warn_unreadable(rows: Iterable[Mapping[str, Any] | None]) -> None:
    """One warning naming the runs that could not be read in full, and why."""
    damaged = [row for row in rows if row is not None and row.get("problem")]
    if not damaged:
        return
    named = "; ".join(
        row["problem"] if row["tag"] in row["problem"] else f"{row['tag']}: {row['problem']}"
        for row in damaged[:_NAMED]
    )
    more = f"; and {len(damaged) - _NAMED} more" if len(damaged) > _NAMED else ""
    count = f"{len(damaged)} run{'s' if len(damaged) > 1 else ''}"
    warnings.warn(
        f"runs table: {count} could not be read in full: their rows show what could be read and NaN for the "
        f"rest, with the reason in the 'problem' column (runs(strict=True) raises instead). {named}{more}",
        UnreadableRunsWarning,
        stacklevel=4,
    )


def runs_table(
    wb: ExperimentRepository,
    listed: Callable[[], Sequence[str]],
    *,
    params: str | None,
    series: Mapping[str, str | Sequence[str]],
    best: str | Mapping[str, str],
    tag_prefix: str | None,
    since: datetime | str | None,
    until: datetime | str | None,
    status: str | Iterable[str] | None,
    strict: bool = False,
) -> pd.DataFrame:
    """See :meth:`lab_workbook.ExperimentRepository.runs` (``listed()``: the store's tags, from ``wb.tags()``)."""
    choices = {f: best for _, f, _ in _fields(series)} if isinstance(best, str) else dict(best)
    if bad := {v for v in choices.values() if v not in _BEST}:
        raise ValueError(f"best must be 'min' or 'max' (per field), not {sorted(bad)}")
    fields = _fields(series)
    # Names what the rows hold, and the code that makes them: another choice keeps other rows.
    name = "runs-table " + json.dumps([__version__, _ROW_FORMAT, params, fields, sorted(choices.items())])

    def make(exp: Experiment) -> dict[str, Any]:
        return _row(exp, params, fields, choices, strict)

    def indexed(tag: str, record: Mapping[str, Any]) -> dict[str, Any] | None:
        return _indexed_row(tag, record, params, fields, choices)

    chunks = wb.run_rows(
        name,
        make,
        since=_moment(since),
        until=_moment(until),
        status=status,
        tag_prefix=tag_prefix,
        chunk=None,  # every run at once: one thread pool
        newest_first=False,  # tag order, so strict=True raises the first damaged run's error
        listed=listed,
        indexed=indexed,
    )
    rows = [row for chunk in chunks for row in chunk]
    _warn_unreadable(rows)  # rows with a problem are never kept: each table made names them again
    table = pd.DataFrame(rows, columns=None if rows else _COLUMNS)
    table["started"] = pd.to_datetime(table["started"], utc=True, format="ISO8601")
    table["duration"] = pd.to_timedelta(table["duration"], unit="us")
    return table
