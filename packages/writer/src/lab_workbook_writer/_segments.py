"""One segment upload of a time series: cut when a worker starts it, re-sent unchanged if it fails.

Cutting at start rather than at request is what coalesces a hot loop's rows:
however many rows arrive while the previous segment is in flight, they leave
together in the next one. Once cut, a segment's rows and sequence number are
fixed, so a retry after a failure sends the same bytes to the same key.
"""

from __future__ import annotations

from pathlib import Path
import tempfile
from typing import TYPE_CHECKING

from lab_workbook_core.keys import segment_key

if TYPE_CHECKING:
    from lab_workbook_core import Storage

    from ._series import TimeSeriesLog
    from ._spool import Entry

__all__ = ["Segment"]

_IN_MEMORY = 8 * 1024 * 1024  # larger segments are assembled in a temporary file


class Segment:
    """A queued or running segment upload of one series: a :class:`~lab_workbook_writer._spool.Job` of its uploader."""

    #: Seconds between two segment uploads of one series, at least (unless flushed).
    MIN_INTERVAL = 0.5

    def __init__(self, series: TimeSeriesLog) -> None:
        self.series = series
        self.cut: tuple[int, int, int] | None = None
        self.entry: Entry  # its place in the uploader's queue, set as soon as it is submitted

    def upload(self, storage: Storage) -> int:
        """Send the segment; the number of bytes sent (0 if no rows were left to send)."""
        series = self.series
        if self.cut is None:
            self.cut = series.cut(self)
            if self.cut is None:
                return 0
        seq, start, end = self.cut
        key = segment_key(series.tag, series.file_name, seq)
        header = series.header_for(start)
        size = len(header) + end - start
        with open(series.path, "rb") as source:
            source.seek(start)
            if size <= _IN_MEMORY:
                storage.put_bytes(key, header + source.read(end - start))
                return size
            with tempfile.NamedTemporaryFile(dir=series.path.parent, suffix=".segment") as tmp:
                tmp.write(header)
                left = end - start
                while left:
                    chunk = source.read(min(left, 1 << 20))
                    tmp.write(chunk)
                    left -= len(chunk)
                tmp.flush()
                storage.put_file(key, Path(tmp.name))
        return size
