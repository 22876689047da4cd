"""Time series: CSV bytes to a DataFrame, and segments of a running series to CSV bytes.

The CSV is the one ``docs/format.md`` describes (and the original tool wrote):
the first field is the index, ``Date`` is a UTC time in ISO 8601, an empty field
or the original's literal ``nil`` is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
import csv
import io

from lab_workbook_core import CorruptArtifactError
import pandas as pd

from .arrow_csv import arrow_frame

__all__ = ["assemble_segments", "drop_partial_line", "parse_series", "parse_with_pandas", "read_header"]

_MISSING = ["nil"]


def drop_partial_line(data: bytes) -> bytes:
    """``data`` without a last line that has no line end (an upload cut short)."""
    if not data or data.endswith(b"\n"):
        return data
    cut = data.rfind(b"\n")
    return data[: cut + 1] if cut >= 0 else b""


def assemble_segments(segments: Sequence[bytes], where: str) -> bytes:
    """One CSV from the segments of a running series, in sequence order.

    Every segment is a complete CSV with its header line; a last line without its
    line end is dropped, never raised. Segments of a series whose fields grew have
    different headers: the result has every field, in the order first seen, ``Date``
    last, and an empty cell where a row had no value (as the final CSV will).

    Raises:
        CorruptArtifactError: a segment's header names a field twice, or its first field
            (the index) is not the first segment's.
    """
    headers: list[bytes] = []
    bodies: list[tuple[bytes, bytes]] = []
    first_line = b""
    for raw in segments:
        data = drop_partial_line(raw)
        first, newline, rest = data.partition(b"\n")
        if not newline:
            continue  # nothing complete in this segment, not even its header
        header = first.rstrip(b"\r")
        first_line = first_line or first + newline
        bodies.append((header, rest))
        if header not in headers:
            headers.append(header)
    if len(headers) <= 1:
        return b"".join([first_line, *(rest for _, rest in bodies)])
    return _merge_headers(headers, bodies, where)


def _merge_headers(headers: list[bytes], bodies: list[tuple[bytes, bytes]], where: str) -> bytes:
    """Segments of different headers as one CSV under the union of their fields."""
    names: dict[bytes, list[str]] = {}
    union: list[str] = []
    for header in headers:
        fields = next(csv.reader([header.decode("utf-8", errors="replace")]))
        if len(set(fields)) != len(fields):
            raise CorruptArtifactError(
                f"{where}: a segment's header {header.decode(errors='replace')!r} names a field twice; "
                "the series cannot be assembled"
            )
        if union and fields[:1] != union[:1]:
            raise CorruptArtifactError(
                f"{where}: a segment's header {header.decode(errors='replace')!r} does not start with the index "
                f"field {union[0]!r} of the first segment; the series cannot be assembled"
            )
        names[header] = fields
        union.extend(f for f in fields if f != "Date" and f not in union)
    union.append("Date")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(union)
    for header, rest in bodies:
        fields = names[header]
        if fields == union:
            out.write(rest.decode("utf-8", errors="replace"))
            continue
        for row in csv.reader(io.StringIO(rest.decode("utf-8", errors="replace"), newline="")):
            cells = dict(zip(fields, row, strict=False))
            writer.writerow([cells.get(f, "") for f in union])
    return out.getvalue().encode("utf-8")


def parse_series(data: bytes, where: str, usecols: Sequence[str] | None = None) -> pd.DataFrame:
    """A series CSV as a DataFrame indexed by its first field, ``Date`` as UTC datetimes.

    pyarrow's multithreaded reader parses it when its result is certain to be pandas'
    (numbers and ``Date`` in UTC, see :mod:`lab_workbook.arrow_csv`); anything else is
    parsed by ``pandas.read_csv``, whose result is the reference.

    Args:
        data: the CSV bytes.
        where: how to name the artifact in errors (``tag/Training loss.csv``).
        usecols: read only these fields (the index is always read); ``Date`` is only
            parsed when it is asked for.

    Raises:
        CorruptArtifactError: naming the artifact and what is wrong with it.
    """
    if b"\n" in data:  # a last line without its line end is an upload cut short: drop it, as in segments
        data = drop_partial_line(data)
    header = read_header(data, where)
    columns = header if usecols is None else [header[0], *[c for c in header[1:] if c in usecols]]
    dates = "Date" in columns[1:]
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
            parse_dates=["Date"] if dates else False,
            date_format="ISO8601",
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        raise CorruptArtifactError(f"{where} is not a readable CSV: {_first_line(err)}") from err
    if dates:
        frame["Date"] = _utc_dates(frame["Date"], where)
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
