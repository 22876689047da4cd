"""The series CSV's rules, once: headers, missing cells, torn ends, and the merge of a series whose fields grew.

A series is stored as CSV under a header of its fields then ``Date`` (``docs/format.md``,
*Time series*). A series whose fields grow is written in *parts*, each a header line
followed by the rows logged under it: in the writer's local file (one after the other)
and in the segments it uploads (one part, or more, per segment). Three paths turn parts
into the one final CSV: the writer at close, ``sync`` after the writer died, and a
reader assembling the segments of a running series. All three call :func:`merge`, so
they give the same bytes for the same parts.

The rules, as pure functions over bytes (no I/O, no state), in the manner of h11:

- a header is a row whose last cell is ``Date`` (:func:`is_header`): a row's last cell
  is its time, never that word;
- a document's torn end (a write cut by a kill, an upload cut short) is everything
  after its last line end outside a quoted cell (:func:`complete_prefix`);
- the merged fields are every part's fields in the order first seen, ``Date`` last
  (:func:`union_fields`); a row is placed under them *by name*, with an empty cell
  where it had no value. Placing by position (inserting empty cells before ``Date``)
  gives the same bytes whenever each header extends the one before, as the writer's
  do, but misplaces values when it does not (a segment under ``epoch,val_loss,Date``
  after one under ``epoch,loss,lr,Date``): by name is correct for every store;
- a missing cell is empty (the original tool wrote ``nil``, :data:`MISSING_CELLS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import csv
from dataclasses import dataclass
import io
from itertools import accumulate

from .errors import CorruptArtifactError

__all__ = [
    "ATTEMPT_FIELD",
    "DATE",
    "LINE_END",
    "MISSING",
    "MISSING_CELLS",
    "ORIGINAL_MISSING",
    "RESERVED_FIELDS",
    "Part",
    "complete_prefix",
    "header_line",
    "is_header",
    "is_missing",
    "merge",
    "split_parts",
    "union_fields",
]

#: The last field of every header: the row's UTC time in ISO 8601.
DATE = "Date"
#: The field of the rows a resumed run's attempt 2, 3... logged: the attempt's number (an integer).
#: A row without a value in it was logged by attempt 1 (``docs/format.md``, *Attempts*).
ATTEMPT_FIELD = "Attempt"
#: Field names lab-workbook writes itself: never a user's field.
RESERVED_FIELDS = frozenset({DATE, ATTEMPT_FIELD})
#: How lab-workbook's writer ends a line (RFC 4180); readers also accept ``\n``.
LINE_END = "\r\n"
#: What lab-workbook's writer writes for a missing value.
MISSING = ""
#: What the original tool wrote for a missing value.
ORIGINAL_MISSING = "nil"
#: Every cell that means "no value" in a stored series.
MISSING_CELLS = frozenset({MISSING, ORIGINAL_MISSING})

_SENTINEL = "\ue000end\r\n"  # a line appended after the data: a record of its own only outside quotes


@dataclass(frozen=True)
class Part:
    """A header and the rows logged under it, as stored.

    Attributes:
        fields: the header's cells (``Date`` among them, last in anything lab-workbook wrote).
        header: the header line's bytes, with its line end.
        rows: the rows' bytes, each line with its line end.
    """

    fields: tuple[str, ...]
    header: bytes
    rows: bytes


def is_missing(cell: str) -> bool:
    """True for a cell that holds no value (empty, or the original tool's ``nil``)."""
    return cell in MISSING_CELLS


def is_header(cells: Sequence[str]) -> bool:
    """True for a header row: its last cell is ``Date`` (a data row's last cell is a time)."""
    return bool(cells) and cells[-1] == DATE


def header_line(fields: Sequence[str]) -> bytes:
    """The header line of a series of ``fields``: the fields, then ``Date``, as the writer writes them."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=LINE_END).writerow([*fields, DATE])
    return buffer.getvalue().encode("utf-8")


def complete_prefix(data: bytes) -> bytes:
    """``data`` without its torn end: everything after its last line end outside a quoted cell.

    A write cut short (a killed writer, an upload cut short) leaves part of a line, or part
    of a quoted cell holding a line break; what comes before is whole rows. A line end inside
    quotes is found as Python's ``csv`` module (and pandas) read quotes: a quote opens a
    quoted cell only at the start of a cell (counting quotes, which is the same for RFC 4180
    data, answers at once when the count is even). ``b""`` when not even one line is complete.
    """
    end = _complete_length(data)
    return data if end == len(data) else data[:end]


def _complete_length(data: bytes) -> int:
    end = data.rfind(b"\n") + 1
    if end == 0 or data.find(b'"', 0, end) < 0:
        return end  # no quote: every line end ends a row
    if data.count(b'"', 0, end) % 2 == 0:
        # In RFC 4180 CSV (all a csv.writer writes) a point is inside quotes exactly when an odd number of
        # quotes comes before it: this line end is outside. (A stray quote inside an unquoted cell, which
        # no lab-workbook writer writes, could fool the count; an odd count is always checked below.)
        return end
    offsets = _line_offsets(data[:end])
    reader = csv.reader(io.StringIO(data[:end].decode("utf-8", errors="replace") + _SENTINEL, newline=""))
    before = done = 0
    last: list[str] = []
    try:
        for row in reader:
            before, done, last = done, reader.line_num, row
    except csv.Error:
        return end  # a cell past csv's size limit: no line is known to be torn, none is dropped
    if last == [_SENTINEL.rstrip()]:
        return end  # the sentinel was a row of its own: the data ends outside quotes
    return offsets[before]  # the last row (the sentinel swallowed in its quotes) is torn


def _line_offsets(data: bytes) -> list[int]:
    """Where each line of ``data`` ends, after a leading 0: lines end in ``\r\n``, ``\n`` or ``\r``.

    Those are the lines ``csv`` reads from ``io.StringIO(text, newline="")``, so ``offsets[reader.line_num]``
    is the byte offset just after the row the reader returned last.
    """
    return [0, *accumulate(map(len, data.splitlines(keepends=True)))]


def split_parts(data: bytes) -> list[Part]:
    """The parts of a document: its first line is a header, and so is every row whose last cell is ``Date``.

    ``data`` is whole lines (see :func:`complete_prefix`); ``[]`` for empty data.
    """
    if not data:
        return []
    heads = _headers(data)
    parts = []
    for index, (start, rows_at) in enumerate(heads):
        header = data[start:rows_at]
        fields = next(csv.reader(io.StringIO(header.decode("utf-8", errors="replace"), newline="")), [])
        end = heads[index + 1][0] if index + 1 < len(heads) else len(data)
        parts.append(Part(tuple(fields), header, data[rows_at:end]))
    return parts


def _headers(data: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` of each header line: the first line, and every later row whose last cell is ``Date``."""
    first = _after_line(data, 0)
    candidates = _lines_ending_in_date(data, first)
    if b'"' not in data or (not candidates and data.find(b'"', 0, first) < 0):
        return [(0, first), *((start, _after_line(data, start)) for start in candidates)]
    heads: list[tuple[int, int]] = []
    start = 0  # quotes: a line ending in "Date" may be inside a quoted cell, so read the rows
    offsets = _line_offsets(data)
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""))
    for cells in reader:
        end = offsets[reader.line_num]
        if not heads or is_header(cells):
            heads.append((start, end))
        start = end
    return heads


def _lines_ending_in_date(data: bytes, at: int) -> list[int]:
    """Where each line from ``at`` on whose text ends in a cell ``Date`` starts (a header, outside quotes)."""
    starts = []
    while (found := data.find(b"Date", at)) >= 0:
        at = found + len(DATE)
        if data.startswith(b"\n", at) or data.startswith(b"\r\n", at):
            start = data.rfind(b"\n", 0, found) + 1
            if start == found or data[found - 1 : found] == b",":
                starts.append(start)
    return starts


def _after_line(data: bytes, at: int) -> int:
    newline = data.find(b"\n", at)
    return len(data) if newline < 0 else newline + 1


def union_fields(headers: Iterable[Sequence[str]], where: str = "the series") -> tuple[str, ...]:
    """Every field of ``headers`` in the order first seen, then ``Date``.

    Args:
        headers: the parts' header cells, in order.
        where: how to name the series in errors (``tag/Training loss.csv``).

    Raises:
        CorruptArtifactError: a header names a field twice, or its first field (the index) is not
            the first header's: no merge could be right.
    """
    union: list[str] = []
    for fields in headers:
        shown = ",".join(fields)
        if len(set(fields)) != len(fields):
            raise CorruptArtifactError(
                f"{where}: a part's header {shown!r} names a field twice; the series cannot be assembled"
            )
        if union and list(fields[:1]) != union[:1]:
            raise CorruptArtifactError(
                f"{where}: a part's header {shown!r} does not start with the index field {union[0]!r} of the "
                "first part; the series cannot be assembled"
            )
        union.extend(f for f in fields if f != DATE and f not in union)
    return (*union, DATE)


def merge(documents: Iterable[bytes], where: str = "the series") -> bytes:
    """One CSV of a series from its documents (segments in order, or the writer's local file), torn ends dropped.

    Every document starts with a header; it may hold more parts. When every part has the same
    fields, the result is the first header and every part's rows, byte for byte. Otherwise it
    is the header of :func:`union_fields` (``\\r\\n``-ended), each part's rows as they are where
    its fields are the union's, and re-written by name (an empty cell where the row had no
    value; blank lines left out, as readers skip them) where they are not.

    Raises:
        CorruptArtifactError: the parts' headers cannot be merged (see :func:`union_fields`).
    """
    parts = [part for document in documents for part in split_parts(complete_prefix(document))]
    if not parts:
        return b""
    distinct = list(dict.fromkeys(part.fields for part in parts))
    if len(distinct) == 1:
        return b"".join([parts[0].header, *(part.rows for part in parts)])
    fields = union_fields(distinct, where)
    out = [header_line(fields[:-1])]
    for part in parts:
        out.append(part.rows if part.fields == fields else _by_name(part, fields))
    return b"".join(out)


def _by_name(part: Part, fields: Sequence[str]) -> bytes:
    """``part``'s rows under ``fields``: each cell under its field's name, empty where the row has none."""
    column = {name: index for index, name in enumerate(part.fields)}
    where = [column.get(name, -1) for name in fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=LINE_END)
    for row in csv.reader(io.StringIO(part.rows.decode("utf-8", errors="replace"), newline="")):
        if row:
            writer.writerow([row[index] if 0 <= index < len(row) else MISSING for index in where])
    return buffer.getvalue().encode("utf-8")
