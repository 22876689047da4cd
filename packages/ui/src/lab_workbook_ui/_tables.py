"""The runs table as JSON for the page: the reader's :meth:`~lab_workbook.ExperimentRepository.runs`, serialised.

Nothing is computed here that the reader already computes (which runs, through the
pipeline of run rows that ``lab-workbook list`` uses too,
:meth:`~lab_workbook.ExperimentRepository.run_rows`; status, flattened parameters,
last/best of series fields): this module only chooses the series
columns from the query and turns the DataFrame into ``{"columns", "rows"}``, with
``started`` as ISO 8601 UTC and ``duration`` in seconds.

:class:`RunsTables` keeps each table's JSON once built: while the store's listing is
the same and every run in the table is over, the page's polls (and the second of two
requests for the same table, such as the start-up warm-up's and the page's own) are
answered with the same bytes and no work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import json
import threading
from typing import TYPE_CHECKING, Any
import warnings

from lab_workbook import UnreadableRunsWarning
from lab_workbook_core import ConfigError
from lab_workbook_core.record import ENDED_STATUSES
from lab_workbook_core.tags import tag_minute
import pandas as pd

from ._parameters import SOURCE_COLUMN

if TYPE_CHECKING:
    from lab_workbook import ExperimentRepository

__all__ = ["RunsTables", "parse_series_columns", "runs_json", "runs_payload"]


def parse_series_columns(text: str | None) -> list[tuple[str, str]]:
    """``"Training loss.csv:loss,Testing Error.csv:error"`` -> ``[(artifact, field), ...]``.

    Raises:
        ConfigError: an entry is not ``ARTIFACT:FIELD``.
    """
    pairs = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        artifact, sep, field = item.strip().rpartition(":")
        if not sep or not artifact or not field:
            raise ConfigError(f"series column {item!r} must be ARTIFACT:FIELD, e.g. 'Training loss.csv:loss'")
        pairs.append((artifact, field))
    return pairs


def _newest_since(wb: ExperimentRepository, newest: int | None) -> Any:
    """The start minute of the ``newest``-th newest run, when its tag tells it (else ``None``: every run)."""
    tags = wb.tags()
    if not newest or len(tags) <= newest:
        return None
    return tag_minute(tags[-newest])


_SPLIT_START = '{"columns":['


def _merged_table(wb: ExperimentRepository, wanted: dict[str, list[str]], sources: Sequence[str], since: Any) -> Any:
    """The reader's runs table with the parameters of every source merged in (the first source
    having a parameter gives it), and ``params from``: the sources each run's parameters came from.

    Each source is one :meth:`~lab_workbook.ExperimentRepository.runs` call: a finished run's
    row is remembered by the reader, so a source costs a dictionary lookup per finished run.
    """
    table = None
    found: list[pd.Series] = []
    for source in sources:
        with warnings.catch_warnings():
            if table is not None:  # the first table warned about the runs that cannot be read
                warnings.simplefilter("ignore", UnreadableRunsWarning)
            part = wb.runs(params=source, series=wanted if table is None else {}, since=since)
        columns = [c for c in part.columns if c.startswith("params.")]
        if columns:
            found.append(part[columns].notna().any(axis=1).map({True: source, False: ""}))
        if table is None:
            table = part
            continue
        part = part.set_index("tag")[columns].reindex(table["tag"])
        for column in columns:
            values = part[column].to_numpy()
            table[column] = table[column].where(table[column].notna(), values) if column in table else values
    assert table is not None
    names = pd.concat(found, axis=1) if found else pd.DataFrame(index=table.index)
    joined = names.apply(lambda row: ", ".join(v for v in row if v), axis=1) if len(names.columns) else ""
    position = list(table.columns).index("problem") + 1
    table.insert(position, SOURCE_COLUMN, joined if len(table) else pd.Series(dtype=str))
    return table


def runs_json(
    wb: ExperimentRepository,
    series: Sequence[tuple[str, str]],
    params: str | Sequence[str],
    *,
    newest: int | None = None,
) -> tuple[bytes, bool]:
    """The table of :func:`runs_payload` as JSON bytes, and whether every run in it is over.

    The rows are written by pandas in one pass (numpy scalars, NaN as ``null``, lists, ISO
    dates) and wrapped as they are: never decoded and encoded again.
    """
    wanted: dict[str, list[str]] = {}
    for artifact, field in series:
        wanted.setdefault(artifact, []).append(field)
    since = _newest_since(wb, newest)
    table = _merged_table(wb, wanted, [params] if isinstance(params, str) else params, since)
    over = bool(table["status"].isin(ENDED_STATUSES).all())
    table["duration"] = table["duration"].dt.total_seconds()
    split = table.to_json(orient="split", date_format="iso", index=False, default_handler=str)
    head = {"store": str(wb.storage.location), "total": len(wb.tags()), "complete": since is None}
    if not split.startswith(_SPLIT_START):  # not the layout pandas writes today: decode and encode once
        parsed = json.loads(split)
        return json.dumps({**head, "columns": parsed["columns"], "rows": parsed["data"]}).encode(), over
    # {"columns": [...], "data": [...]} -> {"store": ..., "total": ..., "complete": ..., "columns": [...], "rows": [...]}
    body = json.dumps(head)[:-1] + "," + split[1:].replace('],"data":[', '],"rows":[', 1)
    return body.encode(), over


def runs_payload(
    wb: ExperimentRepository,
    series: Sequence[tuple[str, str]],
    params: str | Sequence[str],
    *,
    newest: int | None = None,
) -> dict[str, Any]:
    """Every run's row: tag, status, started, duration (s), description, problem, ``params from``,
    ``params.*`` (merged from every source in ``params``), ``<field>.last/best``.

    Args:
        newest: only about this many of the newest runs (``complete`` is then false): the page
            shows its first page from these while the whole table is read. The reader skips
            older runs by their tag's minute before any request (``since=``).
    """
    loaded: dict[str, Any] = json.loads(runs_json(wb, series, params, newest=newest)[0])
    return loaded


@dataclass
class _Built:
    tags: list[str]
    body: bytes
    over: bool


class RunsTables:
    """The runs tables the page asked for, as JSON, kept while they cannot have changed.

    A table is reused when the listing is the one it was built from and every run in it
    was over (finished, failed, interrupted). Otherwise it is built again, which costs
    little for the runs that are over: the reader remembers their rows. Two requests for
    the same table at once build it once (the second waits for the first).
    """

    def __init__(self, params: Sequence[str]) -> None:
        self.params = params
        self._built: dict[tuple[Any, ...], _Built] = {}
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._lock = threading.Lock()
        #: Set once a request has been answered (reading ahead waits for it).
        self.answered = threading.Event()

    def json(self, wb: ExperimentRepository, series: Sequence[tuple[str, str]], *, newest: int | None = None) -> bytes:
        """The table's JSON (see :func:`runs_payload`)."""
        key = (tuple(series), newest)
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            tags = wb.tags()
            built = self._built.get(key)
            if built is not None and built.over and built.tags == tags:
                return built.body
            body, over = runs_json(wb, series, self.params, newest=newest)
            self._built[key] = _Built(tags, body, over)
            return body
