"""Encoding a series' row as one CSV line: the ``Date`` cell, and the general path through ``csv``.

The fast path (every field given, each a plain ``int`` or ``float``) is a single ``%``
format built by :class:`~lab_workbook_writer._fieldsets.Layout` and applied in
:meth:`TimeSeriesLog.__call__ <lab_workbook_writer.TimeSeriesLog.__call__>` itself, where
every attribute lookup counts; everything else (missing fields, strings, booleans, numpy
or torch scalars) goes through :func:`row_cells` and :func:`csv_line`. Cells follow core's CSV layout
(:mod:`lab_workbook_writer._cells`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import csv
from types import SimpleNamespace
from typing import Any

from lab_workbook_core import InvalidValueError
from lab_workbook_core.times import format_millis

from ._cells import to_cell

__all__ = ["NUMBERS", "csv_line", "date_line", "row_cells", "unknown_fields_error"]

#: Types whose repr() is their CSV cell: no quoting, exact round trip.
NUMBERS = frozenset({float, int})


def date_line(now: float) -> tuple[str, float]:
    """The ``Date`` cell ending a line logged at ``now`` (with the line's end), and until when it holds.

    It changes once per millisecond, not once per row: a series caches it.
    """
    millis = int(now * 1000)
    return format_millis(millis) + "\r\n", (millis + 1) / 1000


def row_cells(fields: Sequence[str], row: Mapping[str, Any], series: str) -> list[str]:
    """The cells of ``row`` under ``fields``, missing ones empty; a value that is no cell raises, naming ``series``."""
    return [to_cell(row.get(f), f, series) for f in fields]


def csv_line(cells: list[str]) -> str:
    """One CSV line of ``cells`` (quoted as ``csv`` quotes them), ending in CRLF."""
    text: list[str] = []
    csv.writer(SimpleNamespace(write=text.append), lineterminator="\r\n").writerow(cells)
    return text[0]


def unknown_fields_error(series: str, row: Mapping[str, Any], known: Sequence[str]) -> InvalidValueError:
    """What a row with fields the series does not have is told."""
    unknown = ", ".join(repr(str(k)) for k in row if k not in known)
    return InvalidValueError(
        f"series {series!r} has no field {unknown}; its fields are "
        f"{', '.join(map(repr, known))} (as declared in new_time_series_log); "
        "add fields with add_fields(), or make the series without a field list to let rows add them"
    )
