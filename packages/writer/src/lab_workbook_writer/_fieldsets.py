"""Series whose fields grow: one header per stretch of rows, and the merged CSV at close.

Framework metrics arrive as dicts whose keys change (a learning rate logged only
sometimes, a validation metric from epoch 2 on). A series made without a field
list, or given fields later, records each change of fields as a new *part* of its
local file: the part's header is written into the file (through the spool file, so
only once it is whole on disk, and after every row logged before it), then its rows.
A file whose writer died can thus still be merged (by ``sync``). Fields
only ever grow, and a new field goes after the existing ones (``Date`` stays last),
and the final header is the last part's.

A segment never spans two parts, so every segment is a complete CSV under its own
header (``docs/format.md`` tells readers how to assemble segments of different
headers). At close, :func:`merge_parts` rewrites the file once under the final
header; a series whose fields never changed is left exactly as it is. The merge
itself (which rows are headers, where a torn end starts, how a row is placed
under the final header) is core's :func:`lab_workbook_core.series_csv.merge`, the
one ``sync`` and readers use too.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from operator import itemgetter
import os
from pathlib import Path
from typing import Any

from lab_workbook_core import InvalidValueError
from lab_workbook_core.series_csv import ATTEMPT_FIELD, DATE, header_line, merge

from ._limits import check_field_name

__all__ = ["Layout", "Parts", "check_new_fields", "merge_parts"]


class Layout:
    """How rows of one set of fields are formatted: what the series' hot path uses."""

    def __init__(self, fields: Sequence[str], *, attempt: int = 1) -> None:
        """``attempt``: 2 or more in a resumed run, whose rows carry it in the ``Attempt`` field (before ``Date``)."""
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
        self.header = header_line(self.fields if attempt == 1 else (*self.fields, ATTEMPT_FIELD))


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
        if not isinstance(name, str) or not name or name == DATE:
            raise InvalidValueError(
                f"series {series!r}: a field name must be a non-empty string other than {DATE!r} (added last), "
                f"got {name!r}"
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


def merge_parts(path: Path, parts: Parts, size: int) -> None:
    """Rewrite the series file (its first ``size`` bytes) as one CSV under its last header.

    Run once, at close, and only for a series whose fields changed (one part is already
    its final CSV). The rows are core's :func:`~lab_workbook_core.series_csv.merge` of the
    file, so a row that needs no padding comes out byte for byte.
    """
    if len(parts) < 2:
        return
    merged = path.with_suffix(".merged")
    merged.write_bytes(merge([path.read_bytes()[:size]], where=str(path)))
    os.replace(merged, path)
