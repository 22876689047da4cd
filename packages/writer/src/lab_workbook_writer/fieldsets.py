"""Series whose fields grow: one header per stretch of rows, and the merged CSV at close.

Framework metrics arrive as dicts whose keys change (a learning rate logged only
sometimes, a validation metric from epoch 2 on). A series made without a field
list, or given fields later, records each change of fields as a new *part* of its
local file: the part's header is written into the file (through the spool file, so
only once it is whole on disk, and after every row logged before it), then its rows.
A file whose writer died can thus still be merged (:func:`merge_file`, by ``sync``). Fields
only ever grow, and a new field goes after the existing ones (``Date`` stays last),
so an earlier row becomes a row of the final layout by inserting empty cells
before its ``Date`` cell.

A segment never spans two parts, so every segment is a complete CSV under its own
header (``docs/format.md`` tells readers how to assemble segments of different
headers). At close, :func:`merge_parts` rewrites the file once under the final
header; a series whose fields never changed is left exactly as it is.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
import csv
import io
from operator import itemgetter
import os
from pathlib import Path
from typing import Any

from lab_workbook_core import InvalidValueError

from .limits import check_field_name

__all__ = ["Layout", "Parts", "check_new_fields", "merge_file", "merge_parts"]


class Layout:
    """How rows of one set of fields are formatted: what the series' hot path uses."""

    def __init__(self, fields: Sequence[str]) -> None:
        self.fields = tuple(fields)
        self.known = frozenset(self.fields)
        self.count = len(self.fields)
        self.getter: Callable[[Any], tuple[Any, ...]]
        if self.count > 1:
            self.getter = itemgetter(*self.fields)
        elif self.count == 1:
            only = self.fields[0]
            self.getter = lambda row: (row[only],)
        else:
            self.getter = _no_values
        self.format = ",".join(["%r"] * self.count) + ("," if self.count else "")
        self.header = _csv_line([*self.fields, "Date"])


def _no_values(row: Any) -> tuple[Any, ...]:
    return ()


def check_new_fields(series: str, current: Sequence[str], new: Sequence[Any]) -> list[str]:
    """The names in ``new`` not yet in ``current``, in order, once each; an error for a bad name.

    Raises:
        InvalidValueError: a name that is not a non-empty string, or is ``Date``.
        InvalidNameError: a name that would break the CSV header (see :func:`check_field_name`).
    """
    have, added = set(current), []
    for name in new:
        if not isinstance(name, str) or not name or name == "Date":
            raise InvalidValueError(
                f"series {series!r}: a field name must be a non-empty string other than 'Date' (added last), got {name!r}"
            )
        check_field_name(name, series)
        if name not in have:
            have.add(name)
            added.append(name)
    return added


class Parts:
    """Where each header sits in a series' local file, and where its rows start (offsets grow with the parts)."""

    def __init__(self, header: bytes) -> None:
        self._parts: list[tuple[int, int, bytes]] = [(0, len(header), header)]  # (header at, rows from, header)
        self._row_starts = [len(header)]

    def __len__(self) -> int:
        return len(self._parts)

    def last(self) -> tuple[int, int]:
        """``(header offset, first row offset)`` of the last part."""
        start, rows, _ = self._parts[-1]
        return start, rows

    def place(self, start: int, header: bytes) -> None:
        """``header`` was written at ``start``; parts at or after ``start`` were rewound (their header is gone)."""
        while self._parts and self._parts[-1][0] >= start:
            self._parts.pop()
        self._parts.append((start, start + len(header), header))
        self._row_starts = [rows for _, rows, _ in self._parts]

    def header_for(self, offset: int) -> bytes:
        """The header of the part holding the row at ``offset``."""
        return self._parts[max(bisect_right(self._row_starts, offset) - 1, 0)][2]

    def end_of_part(self, offset: int, end: int) -> int:
        """``end``, or where the next part's header starts if that comes first (a segment has one header)."""
        index = bisect_right(self._row_starts, offset)
        return min(end, self._parts[index][0]) if index < len(self._parts) else end

    def spans(self, size: int) -> list[tuple[int, int, int]]:
        """``(first row, end of rows, field count)`` of every part, in file order (``size``: the file's)."""
        ends = [start for start, _, _ in self._parts[1:]] + [size]
        return [(rows, end, _field_count(header)) for (_, rows, header), end in zip(self._parts, ends, strict=True)]

    @property
    def final_header(self) -> bytes:
        """The last part's header: the merged file's."""
        return self._parts[-1][2]


def merge_parts(path: Path, parts: Parts, size: int) -> None:
    """Rewrite the series file under its last header, padding earlier rows with empty cells.

    Run once, at close, and only for a series whose fields changed. Rows are read
    with ``csv`` (a quoted string may hold a line break) and written back with the
    writer's own dialect, so a row that needs no padding comes out byte for byte.
    """
    if len(parts) < 2:
        return
    data = path.read_bytes()[:size]
    spans = parts.spans(size)
    final_count = spans[-1][2]
    merged = path.with_suffix(".merged")
    with open(merged, "w", encoding="utf-8", newline="") as out:
        out.write(parts.final_header.decode("utf-8"))
        writer = csv.writer(out, lineterminator="\r\n")
        for start, end, count in spans:
            padding = [""] * (final_count - count)
            for row in csv.reader(io.StringIO(data[start:end].decode("utf-8"), newline="")):
                writer.writerow([*row[:-1], *padding, row[-1]] if padding else row)
    os.replace(merged, path)


def merge_file(path: Path) -> bool:
    """:func:`merge_parts` for a file whose parts are not known (its writer died): True if rewritten.

    A part's header is found by its content: its cells begin with the previous
    header's fields and its last cell is ``Date`` (a row's last cell is a date).
    """
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    if not rows:
        return False
    header, headers = rows[0], 1
    is_header = [True] + [False] * (len(rows) - 1)
    for index, row in enumerate(rows[1:], 1):
        if row and row[-1] == "Date" and len(row) >= len(header) and row[: len(header) - 1] == header[:-1]:
            header, is_header[index] = row, True
            headers += 1
    if headers < 2:
        return False
    merged = path.with_suffix(".merged")
    with open(merged, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        for row, head in zip(rows, is_header, strict=True):
            if head:
                padding = [""] * (len(header) - len(row))
            elif row:
                writer.writerow([*row[:-1], *padding, row[-1]] if padding else row)
    os.replace(merged, path)
    return True


def _csv_line(cells: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


def _field_count(header: bytes) -> int:
    return len(next(csv.reader([header.decode("utf-8").rstrip("\r\n")])))
