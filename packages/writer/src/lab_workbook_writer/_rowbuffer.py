"""A series' rows on their way to its local file in the spool: queued in memory, drained to disk.

``log()`` appends an item to :attr:`RowBuffer.lines` and returns; a *drain* formats
every waiting row and writes them to the series' file (``series/<n>.csv`` in the spool, which becomes
the final CSV). A line leaves memory only after the write to disk succeeded
(:class:`~lab_workbook_writer._spoolfile.SpoolFile`): while the spool's disk fails,
lines wait in memory and the failure is reported at once (and its end too); lines
still unwritten when the buffer is sealed are lost, and counted.

A row of the fast path waits as its values, ``(form, values, end)`` (``form`` is its
layout's ``format``): formatting them (``form % values + end``, the float reprs being most
of a row's cost) is done here, for the whole batch in one list comprehension, not by the
training thread. Any other line waits as text, ``(None, text, "")``. Every item but a
header holds only strings and numbers, so the garbage collector stops tracking it: a
million waiting rows would otherwise make each full collection (of a heap holding torch
and boto3) walk them.

A new part's header (the fields grew) waits among the lines, ``(HEADER, text, layout)``, in
order: where it lands on disk is where the part starts, which the buffer reports through
``on_header``. A row checked against the previous layout may be appended just after a new
header (``log()`` reads the layout without a lock): it is written under the new header with
empty cells for the fields added, which is what the merge under the last header gives it anyway.
The buffer has no lock: its series calls it with its file lock held.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._fieldsets import Layout
from ._notices import warn
from ._spoolfile import SpoolFile

__all__ = ["HEADER", "Item", "RowBuffer"]

#: What waits in :attr:`RowBuffer.lines`: ``(form, values, end)``, ``(None, text, "")`` or ``(HEADER, text, layout)``.
Item = tuple[Any, Any, Any]
#: The first element of a new part's header waiting among the lines.
HEADER = object()


def _padded(form: Any, values: Any, end: Any, count: int) -> str:
    """A line of text, or a row under a layout of ``count`` fields (an older layout's row gets empty cells)."""
    if form is None:
        return str(values)
    return str(form % values + "," * (count - form.count("%r")) + end)


class RowBuffer:
    """The lines of one series not yet on disk, and the file they go to.

    Args:
        path: the series' local file.
        header: its first line.
        label: how messages name the series (``"series 'loss' of experiment <tag>"``).
        layout: the fields of the rows that follow ``header``.
        on_header: a new part's header reached the disk at an offset.
        on_spool_error: rows cannot reach the spool (the message), or can again (None).
    """

    def __init__(
        self,
        path: Path,
        header: bytes,
        *,
        layout: Layout,
        label: str,
        on_header: Callable[[int, bytes], None],
        on_spool_error: Callable[[str | None], None] | None,
    ) -> None:
        self.path, self._label = path, label
        self.lines: deque[Item] = deque()  # log() appends here; drains take from the left
        self.layout = layout  # the fields of the part on disk, which the next rows are written under
        self.file = SpoolFile(path, header)
        self.headers_waiting = 0  # headers of new parts still in lines (the spool's disk failed)
        self._on_header, self._on_spool_error = on_header, on_spool_error

    def queue_header(self, header: bytes, layout: Layout) -> None:
        """Write a new part's header after the lines waiting, in order (it waits with them if the disk fails)."""
        self.headers_waiting += 1
        self.lines.append((HEADER, header.decode("utf-8"), layout))
        self.drain()

    def take_back(self, item: Item) -> bool:
        """Remove ``item`` (or an equal one) if it still waits; False if it was written."""
        try:
            self.lines.remove(item)
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
        texts = self._texts(taken)
        failing = self.file.error is not None
        data = "".join(texts).encode("utf-8", "backslashreplace")
        kept_lines = [0]

        def whole(written: int) -> int:  # the rare failure path: how many whole lines got through
            size = 0
            for index, line in enumerate(texts):
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
            self._place_headers(taken[: len(taken) if done else kept_lines[0]], texts, start)
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

    def _texts(self, taken: list[Item]) -> list[str]:
        """The lines of ``taken`` as text, each row under the part it lands in (the fast path's formatting)."""
        layout = self.layout
        if not self.headers_waiting:  # one part: one comprehension, the common case
            form, count = layout.format, layout.count
            return [
                form % values + end if kind is form else _padded(kind, values, end, count)
                for kind, values, end in taken
            ]
        texts = []
        for kind, values, end in taken:
            if kind is HEADER:
                layout = end
                texts.append(values)
            else:
                texts.append(_padded(kind, values, end, layout.count))
        return texts

    def _place_headers(self, written: list[Item], texts: list[str], offset: int) -> None:
        for (kind, _, layout), text in zip(written, texts, strict=False):
            if kind is HEADER:
                self.headers_waiting -= 1
                self.layout = layout
                self._on_header(offset, text.encode("utf-8"))
            offset += len(text.encode("utf-8", "backslashreplace"))

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
