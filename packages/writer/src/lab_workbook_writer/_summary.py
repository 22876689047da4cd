"""The run's summary, put in its final run record so that a runs table needs one GET per run.

A table of 10,000 runs with their parameters and the last loss of each would
otherwise cost three requests per run (record, parameters, series). At close the
writer knows all three, so the final record carries them (``docs/format.md``,
*The summary*): the small JSON artifacts as saved, and for every series each
numeric field's last, minimum and maximum value and the row count.

Floats that JSON cannot hold are written as core's
:func:`~lab_workbook_core.summary.encode_summary_number` writes them (``"inf"``, ``"-inf"``);
``nan`` cells are missing values (skipped), as readers treat them. A field holding
anything that is not a number is ``null``, so a reader falls back to the series.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import csv
import json
import math
from pathlib import Path
from typing import Any

from lab_workbook_core.attempts import latest_attempt_rows
from lab_workbook_core.series_csv import ATTEMPT_FIELD, RESERVED_FIELDS, is_missing
from lab_workbook_core.summary import encode_summary_number

__all__ = ["MAX_JSON_BYTES", "MAX_SERIES_BYTES", "json_summary", "run_summary", "series_summary"]

#: JSON artifacts up to this size are copied into the summary (parameters files are far smaller).
MAX_JSON_BYTES = 16 * 1024
#: Series files larger than this are not summarised at close (readers then read the series).
MAX_SERIES_BYTES = 256 * 1024**2


def _number(cell: str) -> int | float | None:
    """The cell's number; ``None`` when empty or ``nan``; raises ``ValueError`` for other text."""
    if is_missing(cell):
        return None
    try:
        return int(cell)
    except ValueError:
        value = float(cell)
    return None if math.isnan(value) else value


def series_summary(path: Path, fields: Iterable[str]) -> dict[str, Any] | None:
    """``{"rows": n, "fields": {field: {"last", "min", "max"}}}`` of a series file; None if too big or unreadable.

    The first field (the index) is summarised like the others: its last value says how
    far the run got. Cells are found by the file's header (``fields`` when it has none). A
    resumed run's series (it has an ``Attempt`` column) is summarised over its default
    frame: for each index value, the rows of the latest attempt that logged it
    (:func:`~lab_workbook_core.attempts.latest_attempt_rows`), so ``rows`` and ``last``
    describe the curve readers show; its fields are every field of its header.
    """
    names = list(fields)
    try:
        if path.stat().st_size > MAX_SERIES_BYTES:
            return None
        with open(path, newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), None)
        kept = _latest_attempt_rows(path, header) if header and ATTEMPT_FIELD in header else None
        if header and kept is not None:
            names = [name for name in header if name not in RESERVED_FIELDS]
        columns = [i if not header else header.index(name) if name in header else -1 for i, name in enumerate(names)]
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader, None)  # the header
            last: list[int | float | None] = [None] * len(names)
            low: list[int | float | None] = [None] * len(names)
            high: list[int | float | None] = [None] * len(names)
            numeric = [True] * len(names)
            rows = 0
            for number, row in enumerate(reader):
                if kept is not None and not kept[number]:
                    continue
                rows += 1
                for i, column in enumerate(columns):
                    if not numeric[i] or not 0 <= column < len(row):
                        continue
                    try:
                        value = _number(row[column])
                    except ValueError:
                        numeric[i] = False
                        continue
                    if value is None:
                        continue
                    last[i] = value
                    if low[i] is None or value < low[i]:  # type: ignore[operator]
                        low[i] = value
                    if high[i] is None or value > high[i]:  # type: ignore[operator]
                        high[i] = value
    except (OSError, UnicodeDecodeError, csv.Error, ValueError):
        return None
    summary: dict[str, Any] = {}
    for i, name in enumerate(names):
        summary[name] = None  # not only numbers: a reader reads the series itself
        if numeric[i]:
            summary[name] = {
                key: None if value is None else encode_summary_number(value)
                for key, value in (("last", last[i]), ("min", low[i]), ("max", high[i]))
            }
    return {"rows": rows, "fields": summary}


def _latest_attempt_rows(path: Path, header: list[str]) -> list[bool]:
    """Which rows of a resumed run's series file its default frame keeps (one more pass over the file).

    Raises:
        ValueError: an ``Attempt`` cell that is not an attempt number.
    """
    attempt = header.index(ATTEMPT_FIELD)
    index: list[str] = []
    attempts: list[str] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for row in reader:
            index.append(row[0] if row else "")
            attempts.append(row[attempt] if attempt < len(row) else "")
    return latest_attempt_rows(index, attempts)


def json_summary(saved: Mapping[str, bytes]) -> dict[str, Any]:
    """The small JSON artifacts (``{name: encoded bytes as saved}``) as values."""
    values: dict[str, Any] = {}
    for name, data in saved.items():
        if len(data) <= MAX_JSON_BYTES:
            try:
                values[name] = json.loads(data)
            except ValueError:
                continue
    return values


def run_summary(saved_json: Mapping[str, bytes], series: Iterable[tuple[str, Path, Iterable[str]]]) -> dict[str, Any]:
    """The record's ``summary`` field: ``{"json": {...}, "series": {file name: series_summary}}``."""
    summaries = {name: s for name, path, fields in series if (s := series_summary(path, fields)) is not None}
    return {"json": json_summary(saved_json), "series": summaries}
