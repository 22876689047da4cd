"""A series' lines on their way to its local file in the spool: queued in memory, drained to disk.

``log()`` appends a line to :attr:`RowBuffer.lines` and returns; a *drain* writes
every waiting line to the series' file (``series/<n>.csv`` in the spool, which becomes
the final CSV). A line leaves memory only after the write to disk succeeded
(:class:`~lab_workbook_writer._spoolfile.SpoolFile`): while the spool's disk fails,
lines wait in memory and the failure is reported at once (and its end too); lines
still unwritten when the buffer is sealed are lost, and counted.

A new part's header (the fields grew) waits among the lines, in order: where it lands
on disk is where the part starts, which the buffer reports through ``on_header``.
The buffer has no lock: its series calls it with its file lock held.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path

from ._notices import warn
from ._spoolfile import SpoolFile

__all__ = ["RowBuffer"]


class _HeaderLine(str):
    """A new part's header waiting among the lines: where it lands on disk is where the part starts."""

    __slots__ = ()


class RowBuffer:
    """The lines of one series not yet on disk, and the file they go to.

    Args:
        path: the series' local file.
        header: its first line.
        label: how messages name the series (``"series 'loss' of experiment <tag>"``).
        on_header: a new part's header reached the disk at an offset.
        on_spool_error: rows cannot reach the spool (the message), or can again (None).
    """

    def __init__(
        self,
        path: Path,
        header: bytes,
        *,
        label: str,
        on_header: Callable[[int, bytes], None],
        on_spool_error: Callable[[str | None], None] | None,
    ) -> None:
        self.path, self._label = path, label
        self.lines: deque[str] = deque()  # log() appends here; drains take from the left
        self.file = SpoolFile(path, header)
        self.headers_waiting = 0  # headers of new parts still in lines (the spool's disk failed)
        self._on_header, self._on_spool_error = on_header, on_spool_error

    def queue_header(self, header: bytes) -> None:
        """Write a new part's header after the lines waiting, in order (it waits with them if the disk fails)."""
        self.headers_waiting += 1
        self.lines.append(_HeaderLine(header.decode("utf-8")))
        self.drain()

    def take_back(self, line: str) -> bool:
        """Remove ``line`` (or an equal one) if it still waits; False if it was written."""
        try:
            self.lines.remove(line)
        except ValueError:
            return False
        return True

    def drain(self, force: bool = False) -> bool:
        """Write the waiting lines; True if none is left. Lines that fail to reach disk go back, in order."""
        lines, count = self.lines, len(self.lines)
        if not count or not (force or self.file.ready()):
            return not count
        popleft = lines.popleft
        taken = [popleft() for _ in range(count)]
        failing = self.file.error is not None
        data = "".join(taken).encode("utf-8", "backslashreplace")
        kept_lines = [0]

        def whole(written: int) -> int:  # the rare failure path: how many whole lines got through
            size = 0
            for index, line in enumerate(taken):
                after = size + len(line.encode("utf-8", "backslashreplace"))
                if after > written:
                    kept_lines[0] = index
                    return size
                size = after
            kept_lines[0] = len(taken)
            return size

        start = self.file.size
        done = self.file.append(data, force=force, whole=whole) == len(data)
        if self.headers_waiting:
            self._place_headers(taken[: len(taken) if done else kept_lines[0]], start)
        if done:
            if failing:
                warn(f"{self._label}: the spool accepts rows again")
                if self._on_spool_error is not None:
                    self._on_spool_error(None)
            return True
        lines.extendleft(reversed(taken[kept_lines[0] :]))  # before any line appended meanwhile
        if not failing and self.file.error is not None:
            self._report_failure(self.file.error)
        return False

    def _place_headers(self, written: list[str], offset: int) -> None:
        for line in written:
            if type(line) is _HeaderLine:
                self.headers_waiting -= 1
                self._on_header(offset, line.encode("utf-8"))
            offset += len(line.encode("utf-8", "backslashreplace"))

    def _report_failure(self, err: OSError) -> None:
        message = (
            f"cannot write rows of {self._label} to the spool at {self.path} ({err.strerror or err}); they are "
            "held in memory and retried. Free space on that disk, or rows will be lost when the run ends"
        )
        warn(message)
        if self._on_spool_error is not None:
            self._on_spool_error(message)

    def seal(self) -> int:
        """Write the last lines (even to a failing disk) and close the file; the number of rows lost."""
        lost = 0
        if not self.drain(force=True):
            lost = len(self.lines) - self.headers_waiting
            self.lines.clear()
            self.headers_waiting = 0
        self.file.close()
        return lost
