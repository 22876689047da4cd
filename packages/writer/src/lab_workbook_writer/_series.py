"""Time series: a row's values are queued in memory; a drain formats them and appends them to a local CSV file.

``log(...)`` is on the training loop's hot path, so it does as little as
possible. When every field is given and each value is a plain ``int`` or ``float``
(the common row), it checks the row against the series' current layout (one
attribute read, no lock) and appends ``(format, values, Date cell)`` to a ``deque``:
formatting the numbers (their ``repr``, most of a row's cost) waits for the drain,
which formats a whole batch at once. Any other row (missing fields, strings, numpy or
torch scalars, new fields) is formatted at the call, under the series' *layout lock*
(taken by :meth:`TimeSeriesLog.add_fields` too), so it is queued under the header it
was checked against. A fast row checked against the layout just before another thread
added fields may land after the new header: it is written there with empty cells for
the new fields (:mod:`lab_workbook_writer._rowbuffer`), as the merge under the last
header would place it anyway. Neither path waits for the disk or the store. Rows are
*drained* into the series' local file (the spool's ``series/<n>.csv``, which becomes
the final CSV) by the experiment's ticker every ``flush_seconds / 2`` at most, by each
segment upload, and by the training thread itself only when many rows are waiting, so
memory stays bounded.

The series is made of parts along those seams: encoding a row
(:mod:`lab_workbook_writer._rows`), buffering lines to the spool
(:mod:`lab_workbook_writer._rowbuffer`: a line leaves memory only once on disk; lines
still unwritten when the series is sealed are counted in :attr:`TimeSeriesLog.lost_rows`),
and cutting segments (:mod:`lab_workbook_writer._segments`). The series holds the locks
and calls them; none of them knows the series.

A row logged by one thread while another closes the experiment either reaches
the final CSV or makes ``log()`` raise :class:`ExperimentClosedError`: never
silently dropped (see :meth:`TimeSeriesLog._raced_seal`).

Uploads are requested every ``save_every`` rows or when rows are older than
``flush_seconds``; see :mod:`lab_workbook_writer._segments` for how they are cut.
A series made without a field list grows its fields as rows bring new ones; see
:mod:`lab_workbook_writer._fieldsets`.

A series belongs to the process that made it: in a forked child it is sealed at the
fork (:mod:`lab_workbook_writer._forks`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import os
from pathlib import Path
import threading
import time
from typing import TYPE_CHECKING, Any

from lab_workbook_core import ExperimentClosedError, InvalidValueError
from lab_workbook_core.series_csv import split_parts

from ._fieldsets import Layout, Parts, check_new_fields, merge_parts
from ._forks import forked_child_message, seal_in_forked_children
from ._rowbuffer import Item, RowBuffer
from ._rows import NUMBERS, csv_line, date_line, row_cells, unknown_fields_error
from ._segments import Cut, Segment, SegmentCutter, SegmentSource

if TYPE_CHECKING:
    from ._resume import StoredSeries
    from ._uploader import Uploader

__all__ = ["TimeSeriesLog"]

_MAX_WAITING = 20_000  # lines in memory before log() drains them itself
_time = time.time


class TimeSeriesLog:
    """A CSV time series of one experiment; call it to log a row.

    Made by :meth:`Experiment.new_time_series_log`, not directly.

    Attributes:
        name: the series' name; the artifact is ``<name>.csv``.
        fields: the columns, in order (``Date`` is added last); a growing series' fields grow.
        growing: rows may bring new fields (the series was made without a field list).
        save_every: upload at most every this many rows (the original's ``saveEvery``).
        flush_seconds: rows never wait much longer than this before an upload starts.
    """

    def __init__(
        self,
        name: str,
        fields: Sequence[str],
        *,
        tag: str,
        path: Path,
        uploader: Uploader,
        save_every: int,
        flush_seconds: float,
        growing: bool = False,
        on_spool_error: Callable[[str | None], None] | None = None,
        attempt: int = 1,
        stored: StoredSeries | None = None,
    ) -> None:
        self._attempt = attempt  # 2 or more: a resumed run's rows carry it in the Attempt field
        self._attempt_cells = [] if attempt == 1 else [str(attempt)]
        self._attempt_prefix = "" if attempt == 1 else f"{attempt},"
        self.name, self.save_every, self.flush_seconds, self.growing = name, save_every, flush_seconds, growing
        self.file_name, self.path, self.tag = f"{name}.csv", path, tag
        self.pid = os.getpid()
        self._uploader = uploader
        self._use(self._layout(fields))
        self._date_line, self._date_until = "", 0.0
        # a resumed run's series starts with what earlier attempts stored, as a part of its own
        prior = stored.rows if stored is not None else b""
        prior_header = split_parts(prior)[0].header if prior else b""
        self._parts = Parts(prior_header or self.header)
        if prior:
            self._parts.place(len(prior), self.header)
        label = f"series {name!r} of experiment {tag}"
        self._buffer = RowBuffer(
            path,
            prior + self.header,
            layout=self._current,
            label=label,
            on_header=self._place,
            on_spool_error=on_spool_error,
        )
        self._lines = self._buffer.lines
        self._append = self._lines.append
        self._file = self._buffer.file
        self._file_lock = threading.Lock()  # the buffer, the file, its offsets and the segment cutter
        self._layout_lock = threading.Lock()  # the fields: taken before _file_lock, never inside it
        # stored rows not in any segment (the final CSV's) leave as the first segment of this attempt
        carry = stored is not None and not stored.sent and len(prior) > len(prior_header)
        self._cutter = SegmentCutter(len(prior_header) if carry else len(prior) + len(self.header))
        if stored is not None:
            self._cutter.next_seq = stored.next_seq
        self._source = SegmentSource(tag, self.file_name, path, self.header_for, self.cut)
        if carry:  # queued now, as at a change of header: later segments follow it
            self._place(len(prior), self.header)
        self.lost_rows = 0
        self._rows = 0
        self._trigger_at = save_every
        self._requested_rows = 0
        self._last_request = time.monotonic()
        self._sealed = False
        seal_in_forked_children(self._seal_in_forked_child)

    def _layout(self, fields: Sequence[str]) -> Layout:
        return Layout(fields, attempt=self._attempt)

    def _use(self, layout: Layout) -> None:
        self.fields, self.header, self._known = layout.fields, layout.header, layout.known
        self._current = layout  # read by log() without a lock: rows carry the layout they were checked against

    @property
    def rows(self) -> int:
        """How many rows were logged."""
        return self._rows

    @property
    def group(self) -> str:
        """The upload group: a series' uploads run one at a time, in order."""
        return f"series:{self.file_name}"

    def __call__(self, row: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        """Log one row: ``log(epoch=1, loss=0.3)`` or ``log({"epoch": 1, "loss": 0.3})``.

        Missing fields are left empty. Nothing here waits for the store or the disk.

        Raises:
            InvalidValueError: an unknown field, or a value that is not one number or string.
            ExperimentClosedError: the experiment was closed.
        """
        if row is not None:
            if not isinstance(row, Mapping):
                raise InvalidValueError(
                    f"series {self.name!r}: log keyword arguments or a dict, got {type(row).__name__}"
                )
            fields = {**row, **fields} if fields else row  # type: ignore[assignment]
        layout = self._current
        try:  # the fast path: every field given, each a plain int or float; formatted by the drain
            values = layout.getter(fields)
        except (KeyError, TypeError):
            item = self._general_item(fields)
        else:
            if len(fields) != layout.count or not NUMBERS.issuperset(map(type, values)):
                item = self._general_item(fields)
            else:
                if self._sealed:
                    raise self._closed_error()
                if _time() >= self._date_until:
                    self._next_date()
                item = (layout.format, values, self._date_line)
                self._append(item)
        if self._sealed:
            self._raced_seal(item)
        self._rows += 1
        if self._rows >= self._trigger_at:
            self._triggered()

    def _general_item(self, fields: Mapping[str, Any]) -> Item:
        """Any row but the fast path's, formatted and queued under the layout lock (queued under its header)."""
        with self._layout_lock:
            item: Item = (None, self._general_line(fields), "")
            self._append(item)
        return item

    def _general_line(self, fields: Mapping[str, Any]) -> str:
        """Missing fields, strings (quoted by ``csv``), booleans, numpy or torch scalars (layout lock held)."""
        if not self._known.issuperset(fields) and self.growing:
            self._grow(list(fields))
        if not self._known.issuperset(fields):
            raise unknown_fields_error(self.name, fields, self.fields)
        cells = row_cells(self.fields, fields, self.name)
        if self._sealed:
            raise self._closed_error()
        if _time() >= self._date_until:
            self._next_date()
        cells += self._attempt_cells
        cells.append(self._date_line[len(self._attempt_prefix) : -2])
        return csv_line(cells)

    def add_fields(self, *names: str) -> None:
        """Add columns (after the existing ones; ``Date`` stays last): later rows may use them.

        Earlier rows get empty cells for them in the final CSV. Segments already sent keep
        their header; later segments carry the new one (readers merge them). A row being
        logged by another thread meanwhile lands wholly before or wholly after the change.

        Raises:
            InvalidValueError: a name that is not a non-empty string, or is ``Date``.
            ExperimentClosedError: the experiment was closed.
        """
        with self._layout_lock:
            self._grow(names)

    def _grow(self, names: Sequence[Any]) -> None:
        """:meth:`add_fields` with the layout lock held: a new part's header follows the rows queued so far."""
        added = check_new_fields(self.name, self.fields, names)
        if not added:
            return
        layout = self._layout([*self.fields, *added])
        with self._file_lock:
            if self._sealed:
                raise self._closed_error()
            buffer = self._buffer
            drained = buffer.drain()
            start, rows_start = self._parts.last()
            if drained and not buffer.headers_waiting and self._file.size == rows_start:
                # the current part has no rows: its header is replaced, not followed
                if self._file.rewind(start, layout.header):
                    self._place(start, layout.header)
                    buffer.layout = layout
                else:
                    buffer.queue_header(layout.header, layout)
            else:
                buffer.queue_header(layout.header, layout)
            self._use(layout)

    def _place(self, start: int, header: bytes) -> None:
        """A part's header reached the disk at ``start`` (file lock held): earlier rows leave as a segment of their own."""
        cutter = self._cutter
        cut = cutter.take(start)
        if cut is not None:
            job = Segment(self._source, cut)
            job.entry = self._uploader.submit_job(job, group=self.group)
            cutter.queued = None  # the next request queues a segment after this one, so flush() waits for both
        self._parts.place(start, header)
        cutter.start = start + len(header)

    def header_for(self, offset: int) -> bytes:
        """The header of the rows that start at ``offset`` in the local file (a segment's first line)."""
        return self._parts.header_for(offset)

    def _next_date(self) -> None:
        """Refresh the cached ``Date`` cell: it changes once per millisecond, not once per row."""
        line, self._date_until = date_line(_time())
        self._date_line = self._attempt_prefix + line

    def _raced_seal(self, item: Item) -> None:
        """The series was sealed while ``item`` was being logged: keep it if the seal took it, else refuse it.

        ``seal()`` sets ``_sealed`` before its last drain, so a row appended before
        ``_sealed`` was seen False is always drained. A row that is still waiting once
        the seal is over never will be: it is taken back and the caller told.
        """
        with self._file_lock:  # waits for seal() to finish
            if not self._buffer.take_back(item):  # an equal row still waiting is as good as this one
                return  # the seal wrote it
        raise self._closed_error()

    def _closed_error(self) -> ExperimentClosedError:
        if os.getpid() != self.pid:
            return ExperimentClosedError(forked_child_message(f"series {self.name!r}", self.tag, self.pid))
        return ExperimentClosedError(
            f"series {self.name!r} belongs to experiment {self.tag}, which is closed; experiments are "
            "immutable once closed: start a new one with new_experiment()"
        )

    def _triggered(self) -> None:
        self._trigger_at = self._rows + self.save_every
        if len(self._lines) > _MAX_WAITING:
            self.drain()
        if self._cutter.queued is None:  # else the queued segment, not cut yet, will carry these rows too
            self.request_upload()

    def flush(self, timeout: float | None = 60.0) -> bool:
        """Write every row logged so far to local disk, then wait until the store has them.

        Returns:
            True when the store has every row. False, without waiting out ``timeout``, as
            soon as the store is known unreachable (the retry this call starts fails), when
            the run's tag is taken in the store by another run (see ``Experiment.stranded``),
            or when the spool's disk refuses rows; otherwise False once ``timeout`` seconds
            passed. The rows stay in the spool and keep being retried: nothing is lost.
        """
        on_disk = self.drain()
        job = self.request_upload(urgent=True)
        failures = self._uploader.kick()
        marker = job.entry.seq if job is not None else self._uploader.last_seq()
        return self._uploader.wait(marker, timeout, group=self.group, failed_since=failures) and on_disk

    def request_upload(self, urgent: bool = False) -> Segment | None:
        """Make sure a segment is queued that will carry every row logged so far."""
        self._trigger_at = self._rows + self.save_every
        self._requested_rows = self._rows
        self._last_request = time.monotonic()
        with self._file_lock:
            if self._sealed:
                return None
            cutter = self._cutter
            job = cutter.queued
            if job is None:
                job = cutter.queued = Segment(self._source)
                not_before = 0.0 if urgent else cutter.not_before(self.flush_seconds)
                job.entry = self._uploader.submit_job(job, group=self.group, not_before=not_before)
            elif urgent:
                self._uploader.hurry(job.entry)
            return job

    def due(self, now: float) -> bool:
        """True when rows older than ``flush_seconds`` wait for an upload (asked by the ticker)."""
        return self._rows != self._requested_rows and now - self._last_request >= self.flush_seconds

    def drain(self) -> bool:
        """Append the lines logged so far to the local file; False if the disk refused some (they wait)."""
        with self._file_lock:
            return self._buffer.drain()

    def cut(self, job: Segment) -> Cut | None:
        """Give ``job`` the rows logged so far: ``(sequence, start, end)`` in the file, None if none."""
        with self._file_lock:
            cutter = self._cutter
            cutter.started(job)
            if self._sealed:
                return None  # the final CSV carries these rows
            self._buffer.drain()
            end = self._parts.end_of_part(cutter.start, self._file.size)  # whole rows on disk, one header
            return cutter.take(end, starting=True)

    def _seal_in_forked_child(self) -> None:
        """In the child of a fork: refuse rows from now on, without touching the parent's file.

        The child has one thread, and a lock one of the parent's other threads held at the fork
        stays held in the child for ever: the locks are made anew, so log() reaches its refusal
        instead of hanging.
        """
        self._sealed = True
        self._layout_lock, self._file_lock = threading.Lock(), threading.Lock()

    def seal(self) -> list[str]:
        """Write the last rows and close the file; return the keys of the segments made.

        Rows the disk still refuses are lost: :attr:`lost_rows` counts them.
        """
        with self._file_lock:
            if not self._sealed:
                self._sealed = True
                self.lost_rows = self._buffer.seal()
                merge_parts(self.path, self._parts, self._file.size)
            return self._cutter.keys(self.tag, self.file_name)
