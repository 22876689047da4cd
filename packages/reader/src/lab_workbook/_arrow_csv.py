"""The fast path of series parsing: pyarrow's CSV reader, wherever its answer is pandas' answer.

pandas' C parser runs on one core and holds the GIL for much of its work; pyarrow's reader
tokenises and converts on every core with the GIL released, so a meld can parse one series
while others download (about 3x less CPU for the index and one field of a 19 MB series).
The two disagree at the edges (quoted fields, strings, booleans with gaps, integers past
int64, times without a zone, the resolution of times), so :func:`arrow_frame` accepts
pyarrow's result only for columns it converts exactly as ``pandas.read_csv`` does
(numbers, booleans, empty columns, and ``Date`` in UTC), and answers ``None`` for anything
else: the caller then parses with pandas, whose result is the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lab_workbook_core.series_csv import ORIGINAL_MISSING
import numpy as np
import pandas as pd

__all__ = ["MISSING_MARKERS", "arrow_frame"]

#: What ``pandas.read_csv`` reads as missing by default, plus the original tool's ``nil``.
MISSING_MARKERS = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
    ORIGINAL_MISSING,
)
# pandas' booleans (pyarrow would also take 1 and 0, which pandas reads as integers).
_TRUE = ["True", "TRUE", "true"]
_FALSE = ["False", "FALSE", "false"]
_INT64_LIMIT = 2.0**63  # pandas reads larger integers as uint64 or text, pyarrow as floats


def arrow_frame(data: bytes, header: Sequence[str], columns: Sequence[str], dates: bool) -> pd.DataFrame | None:
    """The series as ``pandas.read_csv(index_col=0, usecols=columns, ...)`` reads it, or ``None``.

    Args:
        data: the CSV bytes.
        header: the field names of the header line, as pandas read them.
        columns: the fields to read, in header order; the first is the index.
        dates: ``Date`` is among ``columns`` and is to be read as UTC datetimes.

    Returns:
        ``None`` whenever the result could differ from pandas' in any way (the caller
        then parses with pandas).
    """
    if b'"' in data or header[0] == "Date":
        return None  # quoted fields (pyarrow and pandas differ on strings, and on line ends in them)
    end = data.find(b"\n")
    first_line = data[: end if end >= 0 else len(data)].rstrip(b"\r").decode("utf-8-sig", errors="replace")
    if first_line.split(",") != list(header) or len(set(header)) != len(header):
        return None  # names pandas renames ("Unnamed: 1" for an empty one, "a.1" for a repeated one)
    # Most series hold no missing marker but the empty cell (the writer writes nothing else), and
    # pyarrow checks every cell against every marker: with the empty cell alone it parses in about
    # half the time. A cell holding another marker ("nil", "NA"...) makes its column text or fails
    # a time's conversion, and the file is read again with every marker. The markers pyarrow reads
    # as numbers ("nan", "-nan"...) are NaN either way, as they are to pandas.
    for markers in ([""], list(MISSING_MARKERS)):
        converted = _converted(data, columns, dates, markers)
        if converted is not None:
            break
    else:
        return None
    index = pd.Index(converted[0], name=columns[0])
    fields = pd.Index(list(columns[1:]), dtype=None if len(columns) > 1 else object)
    return pd.DataFrame(dict(zip(columns[1:], converted[1:], strict=True)), index=index, columns=fields, copy=False)


def _converted(data: bytes, columns: Sequence[str], dates: bool, markers: list[str]) -> list[Any] | None:
    """The columns read by pyarrow with ``markers`` missing, each as pandas would hold it, or ``None``."""
    import pyarrow as pa  # a dependency of the reader; imported here so `import lab_workbook` stays light
    from pyarrow import csv

    try:
        table = csv.read_csv(
            pa.py_buffer(data),
            convert_options=csv.ConvertOptions(
                include_columns=list(columns),
                null_values=markers,
                strings_can_be_null=True,
                true_values=_TRUE,
                false_values=_FALSE,
                # Times with a zone and at most 6 fractional digits, which pandas reads as microseconds
                # in UTC; any other time fails here, and pandas reads the file (nanoseconds, no zone...).
                column_types={"Date": pa.timestamp("us", tz="UTC")} if dates else None,
            ),
        )
    except (pa.ArrowException, ValueError, UnicodeError):
        return None  # ragged rows, bad bytes, a marker the first pass did not know...: read again
    if table.num_rows == 0 or table.column_names != list(columns):
        return None
    converted = []
    for name, values in zip(columns, table.columns, strict=True):
        column = _time_column(values) if dates and name == "Date" else _number_column(values, data)
        if column is None:
            return None
        converted.append(column)
    return converted


def _number_column(values: Any, data: bytes) -> np.ndarray | None:
    """A column as pandas' C parser converts it: int64, float64 (NaN for missing) or bool.

    Args:
        values: the column as pyarrow read it.
        data: the CSV bytes, searched for a ``+`` only when a float column holds only whole
            numbers (they may be integers written ``+1``, which pandas reads as integers): the
            search holds the GIL for ~5 ms per 19 MB, which a meld of 32 runs would feel.
    """
    import pyarrow as pa

    kind = values.type
    if pa.types.is_null(kind):
        return np.full(len(values), np.nan)  # every value missing
    if pa.types.is_int64(kind):
        return np.asarray(values.to_numpy() if values.null_count == 0 else values.cast(pa.float64()).to_numpy())
    if pa.types.is_float64(kind):
        array: np.ndarray = values.to_numpy()
        if np.nanmax(np.abs(array), initial=0.0) >= _INT64_LIMIT:
            return None
        if values.null_count == 0 and _whole(array) and b"+" in data:
            return None  # pyarrow reads "+1" as a float, pandas as an integer
        return array
    if pa.types.is_boolean(kind) and values.null_count == 0:
        return np.asarray(values.to_numpy())
    return None  # strings, booleans with gaps, anything else


def _whole(array: np.ndarray) -> bool:
    """Every value is a whole number (the first few are looked at first: a series' floats rarely are)."""
    head = array[:64]
    return bool(np.array_equal(head, np.round(head)) and np.array_equal(array, np.round(array)))


def _time_column(values: Any) -> Any:
    """``Date`` read as microseconds in UTC, as pandas reads ISO 8601 times of up to 6 fractional digits."""
    if values.null_count == len(values):
        return None  # no time at all: pandas' dtype then depends on the missing markers
    series = values.to_pandas()
    return series.array if str(series.dtype) == "datetime64[us, UTC]" else None
