"""Segment uploads of a time series: which rows each carries, and sending them.

A series' rows reach its local file in order; a *segment* is a run of whole rows of
that file, under one header, sent as ``<artifact>.segments/<seq>.csv`` while the run
goes. :class:`SegmentCutter` keeps the bookkeeping (the next sequence number, where
the rows not yet carried start); :class:`Segment` is one upload, a
:class:`~lab_workbook_writer._spool.Job` of the uploader.

A segment is cut when a worker starts it rather than when it is requested: that is
what coalesces a hot loop's rows: however many rows arrive while the previous
segment is in flight, they leave together in the next one. Once cut, a segment's rows
and sequence number are fixed, so a retry after a failure sends the same bytes to the
same key. Nothing here knows the series: a segment gets plain values and two
callbacks (:class:`SegmentSource`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import tempfile
import time
from typing import TYPE_CHECKING, NamedTuple

from lab_workbook_core.keys import segment_key

if TYPE_CHECKING:
    from lab_workbook_core import Storage

    from ._spool import Entry

__all__ = ["Cut", "Segment", "SegmentCutter", "SegmentSource"]

_IN_MEMORY = 8 * 1024 * 1024  # larger segments are assembled in a temporary file

#: ``(sequence, start, end)``: a segment's number and its rows' byte range in the local file.
Cut = tuple[int, int, int]


class SegmentSource(NamedTuple):
    """What a segment upload needs of its series' local file."""

    tag: str  # the run's tag
    file_name: str  # the series' artifact name (``<name>.csv``)
    path: Path  # the local file the rows are in
    header_for: Callable[[int], bytes]  # the header of the rows that start at an offset
    cut: Callable[[Segment], Cut | None]  # fix the rows a segment carries (None: none are left)


class Segment:
    """A queued or running segment upload of one series: a :class:`~lab_workbook_writer._spool.Job` of its uploader."""

    #: Seconds between two segment uploads of one series, at least (unless flushed).
    MIN_INTERVAL = 0.5

    def __init__(self, source: SegmentSource, cut: Cut | None = None) -> None:
        self.source = source
        self.cut = cut  # None until the upload starts (unless cut ahead, at a change of header)
        self.entry: Entry  # its place in the uploader's queue, set as soon as it is submitted

    def upload(self, storage: Storage) -> int:
        """Send the segment; the number of bytes sent (0 if no rows were left to send)."""
        source = self.source
        if self.cut is None:
            self.cut = source.cut(self)
            if self.cut is None:
                return 0
        seq, start, end = self.cut
        key = segment_key(source.tag, source.file_name, seq)
        header = source.header_for(start)
        size = len(header) + end - start
        with open(source.path, "rb") as data:
            data.seek(start)
            if size <= _IN_MEMORY:
                storage.put_bytes(key, header + data.read(end - start))
                return size
            with tempfile.NamedTemporaryFile(dir=source.path.parent, suffix=".segment") as tmp:
                tmp.write(header)
                left = end - start
                while left:
                    chunk = data.read(min(left, 1 << 20))
                    tmp.write(chunk)
                    left -= len(chunk)
                tmp.flush()
                storage.put_file(key, Path(tmp.name))
        return size


class SegmentCutter:
    """Which rows the next segment of a series carries: bookkeeping only, no I/O and no lock of its own.

    The series calls it with its file lock held.

    Args:
        start: where the first row will be in the local file (after the header).
    """

    def __init__(self, start: int) -> None:
        self.next_seq = 1
        self.start = start  # the first byte not carried by a segment yet
        self.last_cut = 0.0  # time.monotonic() of the last cut made when an upload started
        self.queued: Segment | None = None  # requested and not cut yet: it will carry rows logged meanwhile

    def take(self, end: int, *, starting: bool = False) -> Cut | None:
        """The rows from :attr:`start` to ``end`` as the next segment; None if there are none.

        ``starting``: for an upload that starts now (the next one requested waits a little after it).
        """
        if end <= self.start:
            return None
        cut = (self.next_seq, self.start, end)
        self.next_seq += 1
        self.start = end
        if starting:
            self.last_cut = time.monotonic()
        return cut

    def started(self, job: Segment) -> None:
        """``job``'s upload starts: rows logged from now on need another segment."""
        if self.queued is job:
            self.queued = None

    def not_before(self, flush_seconds: float) -> float:
        """When the next segment requested (not flushed) may start: some time after the last one."""
        return self.last_cut + min(Segment.MIN_INTERVAL, flush_seconds)

    def keys(self, tag: str, file_name: str) -> list[str]:
        """The store keys of every segment cut so far."""
        return [segment_key(tag, file_name, seq) for seq in range(1, self.next_seq)]
