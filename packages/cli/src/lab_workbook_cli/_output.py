"""How the CLI writes to the terminal: one place for the output conventions.

Tables and colours go through rich. Colour and boxes appear only when stdout is a
terminal; ``NO_COLOR`` turns colour off and ``FORCE_COLOR`` (or rich's
``TTY_COMPATIBLE=1``) turns terminal output on when piped, as rich documents. When
piped, tables are plain aligned columns with no truncation and no trailing spaces,
so ``grep``/``cut``/``awk`` work. ``--json`` output is one JSON document with stable
keys and ISO 8601 dates. Diagnostics (warnings, errors, hints) go to stderr so
that stdout carries only data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
import json
import math
import sys
from typing import Any

from lab_workbook_core.times import format_date, format_time, show_time
from rich import box
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from ._safe_text import neutralise, neutralise_json

__all__ = [
    "byte_progress",
    "human_duration",
    "human_size",
    "iso",
    "join",
    "make_table",
    "print_json",
    "print_json_records",
    "print_table",
    "short_time",
    "stderr_console",
    "stdout_console",
    "warn",
]

_WIDE = 100_000  # when piped, never wrap or truncate a row


def stdout_console() -> Console:
    """A console for data on stdout, made at call time so tests' redirections are seen."""
    console = Console(file=sys.stdout, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console = Console(file=sys.stdout, highlight=False, width=_WIDE, soft_wrap=True)
    return console


def stderr_console() -> Console:
    """A console for messages on stderr (progress bars, warnings)."""
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """One ``warning: ...`` line on stderr (control characters from the store neutralised)."""
    console = stderr_console()
    console.print("[yellow]warning:[/yellow] ", markup=True, highlight=False, end="")
    console.print(Text(neutralise(message)), highlight=False)


class SafeTable(Table):
    """A rich table whose cells can never carry terminal control sequences from the store."""

    def add_row(self, *renderables: Any, **options: Any) -> None:
        super().add_row(*(_safe_cell(r) for r in renderables), **options)


def _safe_cell(cell: Any) -> Any:
    if isinstance(cell, Text):
        clean = neutralise(cell.plain)
        return cell if clean == cell.plain else Text(clean, style=cell.style)
    if isinstance(cell, str):
        return Text(neutralise(cell))  # a plain Text: store data is never read as rich markup
    return cell


def make_table(*columns: str, title: str | None = None) -> Table:
    """A table styled for the terminal; :func:`print_table` strips it down when piped."""
    return SafeTable(*columns, title=title, box=box.SIMPLE_HEAD, header_style="bold", title_justify="left")


def print_table(table: Table, console: Console | None = None) -> None:
    """Print a table fitting the terminal, or as plain columns when stdout is not a terminal."""
    console = console or stdout_console()
    if console.is_terminal:
        console.print(table)
        return
    table.box = None
    table.pad_edge = False
    table.show_edge = False
    with console.capture() as capture:
        console.print(table)
    text = "\n".join(line.rstrip() for line in capture.get().splitlines())
    console.file.write(text + "\n")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "item"):  # numpy / pandas scalars
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


_PLAIN = (str, int, bool, type(None))


def _clean(value: Any) -> Any:
    """NaN and infinities become ``null``: JSON has no such numbers."""
    if type(value) in _PLAIN:  # most values: nothing to do (checked first: a list of 10,000 runs has 80,000)
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return _clean(value.item())
        except (ValueError, TypeError):
            return value
    return value


def print_json(data: Any) -> None:
    """Write ``data`` to stdout as one indented JSON document (dates as ISO 8601, NaN as null)."""
    text = json.dumps(_clean(data), indent=2, ensure_ascii=False, default=_default)
    sys.stdout.write(neutralise_json(text) + "\n")


def print_json_records(records: Sequence[Mapping[str, Any]]) -> None:
    """Write ``records`` to stdout as one JSON array with a record per line (``grep`` finds a run).

    Each line is encoded by the json module's C encoder, which ``indent`` turns off: 10,000
    runs print in a third of the time. A record with NaN or an infinity is cleaned first.
    """
    encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_default)
    lines = []
    for record in records:
        try:
            lines.append(encoder.encode(record))
        except ValueError:  # NaN or an infinity somewhere: null, as everywhere in --json
            lines.append(encoder.encode(_clean(record)))
    text = "[\n" + ",\n".join(f"  {line}" for line in lines) + "\n]" if lines else "[]"
    sys.stdout.write(neutralise_json(text) + "\n")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, the run record's format (without a zero fraction: ``10:00:00Z``)."""
    return format_time(moment, trim=True) if moment is not None else None


def short_time(moment: datetime | None) -> str:
    """``2016-02-14 23:41`` (UTC): compact enough for a table column."""
    return show_time(moment, seconds=False, zone=False) if moment is not None else "-"


def human_size(size: int | None) -> str:
    """``1.5 MB``: sizes as people read them (decimal units, like ``aws s3 ls --human-readable``)."""
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def human_duration(seconds: float | timedelta | None) -> str:
    """``1h 02m``, ``3m 05s`` or ``12s``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    if isinstance(seconds, float) and not math.isfinite(seconds):
        return "-"
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def join(values: Sequence[str]) -> str:
    """``a, b, c``: for one-line lists in messages."""
    return ", ".join(values)


@contextmanager
def byte_progress(verb: str, total: int) -> Iterator[Callable[[int], None]]:
    """A byte progress bar ("downloading", "sending") on stderr when it is a terminal.

    Yields the callback to advance it by a number of bytes; a no-op when stderr is
    piped, so scripts see no bar.
    """
    console = stderr_console()
    if not console.is_terminal:
        yield lambda nbytes: None
        return
    columns = (TextColumn(verb), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(verb, total=total or None)
        yield lambda nbytes: bar.advance(task, nbytes)
