"""Cache entries written behind the caller's back: a load returns before its copy reaches the disk.

Writing a downloaded 19 MB series to the cache costs 10-60 ms of disk time, as much as
parsing it; a meld of 32 runs writes 600 MB. So :class:`~lab_workbook._cache.DiskCache`
hands entries to one writer thread per process and returns. Until an entry is on disk
it is served from memory (every cache of the process looks here first), so loading a
finished artifact twice still sends no second GET. The thread is not a daemon: the
interpreter waits for it at exit, and the cache is complete once the process ends.
Entries waiting for the disk are capped (:data:`MAX_PENDING_BYTES`); past the cap a
``put`` writes its entry itself, on the caller's thread, as a synchronous cache would. It
does not wait for the writer thread: a meld of 32 runs puts 700 MB, and 16 download threads
queued behind one writer thread made the meld as slow as that one thread (on a busy machine
the scheduler gives it one thread's share of the cores); written by the callers, entries
reach the disk in parallel and the meld waits only for its own writes.

A write the disk refuses (``OSError``: full, read-only, a folder removed meanwhile) only
costs a download next time: it is logged at debug level (logger ``lab_workbook._cache_writes``)
and the entry dropped. Any other exception is a bug and propagates (from the writer thread,
through :func:`threading.excepthook`, with its traceback).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import logging
from pathlib import Path
import threading

__all__ = ["MAX_HELD_BYTES", "MAX_PENDING_BYTES", "WRITER", "CacheWriter", "PendingEntry"]

#: Bytes of entries that may wait for the disk at once (then ``put`` waits).
MAX_PENDING_BYTES = 256 * 1024**2
#: Bytes of entries a hold (:meth:`CacheWriter.held`) keeps waiting; past them the writer writes.
MAX_HELD_BYTES = 64 * 1024**2

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingEntry:
    """An entry on its way to the disk, and what to do once it is there."""

    data: bytes
    etag: str | None
    final: bool
    write: Callable[[], None]


class CacheWriter:
    """Writes entries on one background thread, in the order they were handed over."""

    def __init__(self, max_pending_bytes: int = MAX_PENDING_BYTES, max_held_bytes: int = MAX_HELD_BYTES) -> None:
        self.max_pending_bytes = max_pending_bytes
        self.max_held_bytes = max_held_bytes
        self._pending: OrderedDict[Path, PendingEntry] = OrderedDict()
        self._bytes = 0
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._writing = threading.Lock()  # held while an entry is written, and while a folder is cleared
        self._inline: dict[Path, PendingEntry] = {}  # entries being written by the threads that put them
        self._discarding = 0  # folders being cleared: no entry is written by its caller meanwhile
        self._holds = 0  # blocks that want the cores for themselves (:meth:`held`)
        self._waiters = 0  # callers waiting for the writer: a hold does not stop it then

    def pending(self, path: Path) -> PendingEntry | None:
        """The entry waiting to be written at ``path`` (or being written by its caller), if any."""
        with self._changed:
            return self._pending.get(path) or self._inline.get(path)

    def submit(self, path: Path, entry: PendingEntry) -> None:
        """Queue ``entry`` for ``path`` (replacing one queued there); past the cap, write it now.

        Past :attr:`max_pending_bytes` the caller writes its own entry, in parallel with other
        callers, unless an entry for the same path is queued or being written (then it waits
        for the writer, so that the newer entry is the one left on disk).
        """
        with self._changed:
            if self._bytes > self.max_pending_bytes and self._own_write_allowed(path):
                self._inline[path] = entry
            else:
                self._queue(path, entry)
                return
        try:
            entry.write()
        except OSError as err:  # a cache that cannot be written only costs a download next time
            logger.debug("cache entry %s not written: %s", path, err)
        finally:
            with self._changed:
                del self._inline[path]
                self._changed.notify_all()

    def _own_write_allowed(self, path: Path) -> bool:
        return (
            not self._discarding
            and path not in self._pending
            and path not in self._inline
            and self._thread is not threading.current_thread()
        )

    def _queue(self, path: Path, entry: PendingEntry) -> None:
        """Queue ``entry`` (the condition held); waits while too much is queued, or while its caller
        writes an older entry for the same path (the newer must be written after it)."""
        self._waiters += 1
        try:
            while path in self._inline or (
                self._bytes > self.max_pending_bytes and self._thread is not threading.current_thread()
            ):
                self._changed.notify_all()  # a writer paused by a hold: write, someone waits
                self._changed.wait()
        finally:
            self._waiters -= 1
        old = self._pending.pop(path, None)
        self._bytes += len(entry.data) - (len(old.data) if old is not None else 0)
        self._pending[path] = entry
        if self._bytes > self.max_held_bytes:
            self._changed.notify_all()  # a writer paused by a hold: too much waits, write
        if self._thread is None:
            self._thread = threading.Thread(target=self._drain, name="lab-workbook-cache-writer")
            self._thread.start()

    def _drain(self) -> None:
        try:
            self._drain_queue()
        except BaseException:  # a bug: let it show, but leave the writer able to start again
            with self._changed:
                if self._thread is threading.current_thread():
                    self._thread = None
                self._changed.notify_all()
            raise

    def _drain_queue(self) -> None:
        while True:
            with self._changed:
                while self._holds and not self._waiters and self._pending and self._bytes <= self.max_held_bytes:
                    self._changed.wait()
                if not self._pending:
                    self._thread = None
                    self._changed.notify_all()
                    return
                path, entry = next(iter(self._pending.items()))
            with self._writing:
                with self._changed:
                    current = self._pending.get(path) is entry  # not discarded (nor replaced) meanwhile
                try:
                    if current:
                        entry.write()
                except OSError as err:  # a cache that cannot be written only costs a download next time
                    logger.debug("cache entry %s not written: %s", path, err)
                finally:
                    with self._changed:
                        if self._pending.get(path) is entry:
                            del self._pending[path]
                            self._bytes -= len(entry.data)
                        self._changed.notify_all()

    def flush(self) -> None:
        """Wait until every queued entry (and every entry its caller is writing) is on disk."""
        with self._changed:
            self._waiters += 1
            self._changed.notify_all()  # a writer paused by a hold: write, someone waits
            try:
                while self._thread is not None or self._inline:
                    self._changed.wait()
            finally:
                self._waiters -= 1

    @contextmanager
    def held(self) -> Iterator[None]:
        """Write nothing new while the block runs, unless someone waits for the writes.

        A cold load parses its series on every core while its CSV is queued for the disk;
        written meanwhile, the entry takes a core from the parse (on two cores the load took
        1.4 times as long). Held, the entry waits for the parse, and the load returns first.
        An entry being written when the block starts is finished; :meth:`flush` and a caller
        waiting for room in the queue lift the hold while they wait, and so do more than
        :attr:`max_held_bytes` waiting: a meld of 32 runs holds for its whole length (one of
        its 16 loads is always parsing), and its entries would otherwise pile up to the
        queue's cap and then be written by the meld's own threads, and the rest after it
        returned (0.4 s more).
        """
        with self._changed:
            self._holds += 1
        try:
            yield
        finally:
            with self._changed:
                self._holds -= 1
                self._changed.notify_all()

    def discard(self, folder: Path, then: Callable[[], None]) -> None:
        """Forget the entries queued under ``folder``, then run ``then`` while nothing is written."""
        with self._changed:
            self._discarding += 1
            while self._inline:  # callers writing their own entries finish first
                self._changed.wait()
        try:
            with self._writing:
                with self._changed:
                    for path in [p for p in self._pending if p.parent == folder]:
                        self._bytes -= len(self._pending.pop(path).data)
                    self._changed.notify_all()
                then()
        finally:
            with self._changed:
                self._discarding -= 1


#: The process's writer, shared by every cache so that each sees what the others have queued.
WRITER = CacheWriter()
