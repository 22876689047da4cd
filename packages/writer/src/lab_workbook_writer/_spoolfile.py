"""A series' file in the spool: it only ever grows by whole, successful writes.

Rows leave memory only once they are on disk (:meth:`SpoolFile.append` returns
True). A write that fails half-way (disk full, ``RLIMIT_FSIZE``, a read-only
remount) is cut back to the last whole row that got through, so the file never
holds half a row, and the caller keeps the other rows to try again. The file is written
unbuffered (``os.write``): a forked child that inherits it has no buffer of the
parent's rows to write a second time when it exits.
"""

from __future__ import annotations

from collections.abc import Callable
import os
from pathlib import Path
import time

from lab_workbook_core import SpoolError

__all__ = ["SpoolFile", "spool_error"]

#: Seconds between two attempts to write to a spool disk that failed (log() must stay cheap).
RETRY_SECONDS = 1.0


def spool_error(what: str, path: Path, err: OSError) -> SpoolError:
    """The error a user sees when the spool's disk fails: what failed, where, what to do."""
    return SpoolError(
        f"cannot write {what} to the spool at {path}: {err.strerror or err}. Free space on that disk, "
        "or point LAB_WORKBOOK_SPOOL_DIR (or new_experiment(spool_dir=...)) at a larger one"
    )


class SpoolFile:
    """An append-only file whose size is known: ``size`` bytes are written and readable.

    Args:
        path: the file (created, or emptied).
        header: its first bytes (the CSV header).

    Raises:
        SpoolError: the file cannot be created or the header written.
    """

    def __init__(self, path: Path, header: bytes) -> None:
        self.path = path
        self.size = 0
        self.error: OSError | None = None
        self._retry_at = 0.0
        try:
            self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as err:
            raise spool_error("a time series", path, err) from err
        if self.append(header, force=True) != len(header):
            self.close()
            raise spool_error("a time series", path, self.error or OSError("write failed"))

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._fd is None

    def ready(self) -> bool:
        """False for :data:`RETRY_SECONDS` after a failure: a full disk is not asked again at every row."""
        return self._fd is not None and (self.error is None or time.monotonic() >= self._retry_at)

    def append(self, data: bytes, *, force: bool = False, whole: Callable[[int], int] | None = None) -> int:
        """Write ``data`` at the end; the number of its bytes now on disk (``len(data)`` on success).

        On a failure, :attr:`error` is set and the file is cut back to the first
        ``whole(written)`` bytes of ``data`` (the whole rows among those written; none
        without ``whole``). Unless ``force``, returns 0 at once while not :meth:`ready`.
        """
        fd = self._fd
        if fd is None or not (force or self.ready()):
            return 0
        view, written = memoryview(data), 0
        try:
            while written < len(view):
                written += os.write(fd, view[written:])
        except OSError as err:
            kept = whole(written) if whole is not None and written else 0
            if not self._roll_back(fd, self.size + kept):
                kept = 0
            self.size += kept
            self.error, self._retry_at = err, time.monotonic() + RETRY_SECONDS
            return kept
        self.size += written
        self.error = None
        return written

    def rewind(self, offset: int, data: bytes) -> bool:
        """Cut the file back to ``offset`` and write ``data`` there (a series' header replaced before any row).

        False if that failed: the file then ends at ``offset`` (or, if it could not
        be cut, is unchanged) and :attr:`error` says why.
        """
        fd = self._fd
        if fd is None:
            return False
        if not self._roll_back(fd, offset):
            return False
        self.size = offset
        return self.append(data, force=True) == len(data)

    def _roll_back(self, fd: int, size: int) -> bool:
        """Cut off a partial write, so that retrying never duplicates the rows that did get through."""
        try:
            os.ftruncate(fd, size)
            os.lseek(fd, size, os.SEEK_SET)
        except OSError:  # pragma: no cover - cannot shrink: sync() drops a torn last line
            return False
        return True

    def close(self) -> None:
        """Close the file (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
