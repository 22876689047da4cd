"""Time series: CSV bytes to a DataFrame.

The CSV is the one ``docs/format.md`` describes (and the original tool wrote):
the first field is the index, ``Date`` is a UTC time in ISO 8601, an empty field
or the original's literal ``nil`` is missing. Its rules (the torn end, the missing
cells, the segments of a running series merged into one CSV) are core's
:mod:`lab_workbook_core.series_csv`.
"""

from __future__ import annotations

from collections.abc import Sequence
import io

from lab_workbook_core import CorruptArtifactError
from lab_workbook_core.series_csv import DATE, ORIGINAL_MISSING, complete_prefix
import pandas as pd

from ._arrow_csv import arrow_frame

__all__ = ["parse_series", "parse_with_pandas", "read_header"]

_MISSING = [ORIGINAL_MISSING]  # the empty cell is missing to pandas already


def parse_series(data: bytes, where: str, usecols: Sequence[str] | None = None) -> pd.DataFrame:
    """A series CSV as a DataFrame indexed by its first field, ``Date`` as UTC datetimes.

    pyarrow's multithreaded reader parses it when its result is certain to be pandas'
    (numbers and ``Date`` in UTC, see :mod:`lab_workbook._arrow_csv`); anything else is
    parsed by ``pandas.read_csv``, whose result is the reference.

    Args:
        data: the CSV bytes.
        where: how to name the artifact in errors (``tag/Training loss.csv``).
        usecols: read only these fields (the index is always read); ``Date`` is only
            parsed when it is asked for.

    Raises:
        CorruptArtifactError: naming the artifact and what is wrong with it.
    """
    if b"\n" in data:  # a torn last line is an upload cut short: drop it, as in segments
        data = complete_prefix(data)
    header = read_header(data, where)
    columns = header if usecols is None else [header[0], *[c for c in header[1:] if c in usecols]]
    dates = DATE in columns[1:]
    fast = arrow_frame(data, header, columns, dates)
    if fast is not None:
        return fast
    return parse_with_pandas(data, where, None if usecols is None else columns, dates)


def read_header(data: bytes, where: str) -> list[str]:
    """The field names of a series CSV's header line, as ``pandas.read_csv`` names them.

    A plain line (no quotes, no empty or repeated name) is split by hand: pandas would give
    the same names, and costs milliseconds per call that a meld of 32 runs feels.

    Raises:
        CorruptArtifactError: the object is empty or its first line is not CSV.
    """
    end = data.find(b"\n")
    first_line = bytes(data[: end if end >= 0 else len(data)]).rstrip(b"\r")
    if not first_line.strip():
        raise CorruptArtifactError(f"{where} is not a time series: it has no header line (the object is empty)")
    if b'"' not in first_line:
        try:
            names = first_line.decode("utf-8-sig").split(",")
        except UnicodeDecodeError:
            names = []
        if names and all(names) and len(set(names)) == len(names):
            return names
    try:
        return pd.read_csv(io.BytesIO(first_line), nrows=0).columns.to_list()
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        raise CorruptArtifactError(f"{where} is not a readable CSV: {_first_line(err)}") from err


def parse_with_pandas(data: bytes, where: str, columns: Sequence[str] | None, dates: bool) -> pd.DataFrame:
    """What :func:`parse_series` returns, always by ``pandas.read_csv`` (the reference for the fast path).

    Args:
        data: the CSV bytes.
        where: how to name the artifact in errors.
        columns: the fields to read, in header order, the first being the index; ``None`` for
            all (then a row with too many fields is an error, as it is not with ``usecols``).
        dates: parse the ``Date`` field (one of ``columns``) as UTC datetimes.
    """
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            index_col=0,
            usecols=None if columns is None else list(columns),
            na_values=_MISSING,
            parse_dates=[DATE] if dates else False,
            date_format="ISO8601",
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        raise CorruptArtifactError(f"{where} is not a readable CSV: {_first_line(err)}") from err
    if dates:
        frame[DATE] = _utc_dates(frame[DATE], where)
    return frame


def _utc_dates(column: pd.Series, where: str) -> pd.Series:
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        converted: pd.Series = column.dt.tz_convert("UTC")
        return converted
    try:
        return pd.to_datetime(column, utc=True, format="ISO8601")
    except (ValueError, TypeError) as err:
        raise CorruptArtifactError(
            f"{where}: its Date column holds something that is not an ISO 8601 time: {err}"
        ) from err


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
