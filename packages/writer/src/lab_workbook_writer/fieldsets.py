"""Series whose fields grow: one header per stretch of rows, and the merged CSV at close.

Framework metrics arrive as dicts whose keys change (a learning rate logged only
sometimes, a validation metric from epoch 2 on). A series made without a field
list, or given fields later, records each change of fields as a new *part* of its
local file: the file holds the first header, then every row in order; a part is
the offset where its rows start and the header they were written under. Fields
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

__all__ = ["Layout", "Parts", "check_new_fields", "merge_parts"]


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
    """
    have, added = set(current), []
    for name in new:
        if not isinstance(name, str) or not name or name == "Date":
            raise InvalidValueError(
                f"series {series!r}: a field name must be a non-empty string other than 'Date' (added last), got {name!r}"
            )
        if name not in have:
            have.add(name)
            added.append(name)
    return added


class Parts:
    """Where in a series' local file each header's rows start (offsets grow with the parts)."""

    def __init__(self, start: int, header: bytes) -> None:
        self._starts = [start]
        self._headers = [header]

    def __len__(self) -> int:
        return len(self._starts)

    def reset(self, start: int, header: bytes) -> None:
        """Replace the only part (no row was written yet: the file's header is rewritten)."""
        self._starts, self._headers = [start], [header]

    def add(self, start: int, header: bytes) -> None:
        """Rows from ``start`` on are written under ``header``."""
        if start == self._starts[-1]:  # the previous part has no rows: it never existed
            self._headers[-1] = header
        else:
            self._starts.append(start)
            self._headers.append(header)

    def header_for(self, offset: int) -> bytes:
        """The header of the part holding the row at ``offset``."""
        return self._headers[bisect_right(self._starts, offset) - 1]

    def end_of_part(self, offset: int, end: int) -> int:
        """``end``, or the start of the next part if that comes first (a segment has one header)."""
        index = bisect_right(self._starts, offset)
        return min(end, self._starts[index]) if index < len(self._starts) else end

    def spans(self) -> list[tuple[int, int]]:
        """``(start, field count)`` of every part, in file order."""
        return [(start, _field_count(header)) for start, header in zip(self._starts, self._headers, strict=True)]


def merge_parts(path: Path, parts: Parts) -> None:
    """Rewrite the series file under its last header, padding earlier rows with empty cells.

    Run once, at close, and only for a series whose fields changed. Rows are read
    with ``csv`` (a quoted string may hold a line break) and written back with the
    writer's own dialect, so a row that needs no padding comes out byte for byte.
    """
    spans = parts.spans()
    if len(spans) < 2:
        return
    data = path.read_bytes()
    final_count = spans[-1][1]
    merged = path.with_suffix(".merged")
    with open(merged, "w", encoding="utf-8", newline="") as out:
        out.write(parts.header_for(spans[-1][0]).decode("utf-8"))
        writer = csv.writer(out, lineterminator="\r\n")
        for (start, count), (end, _) in zip(spans, [*spans[1:], (len(data), 0)], strict=True):
            padding = [""] * (final_count - count)
            for row in csv.reader(io.StringIO(data[start:end].decode("utf-8"), newline="")):
                writer.writerow([*row[:-1], *padding, row[-1]] if padding else row)
    os.replace(merged, path)


def _csv_line(cells: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


def _field_count(header: bytes) -> int:
    return len(next(csv.reader([header.decode("utf-8").rstrip("\r\n")])))
