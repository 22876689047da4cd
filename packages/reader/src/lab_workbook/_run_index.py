"""What is known of a store's finished runs, kept in one local file per store and kind.

A finished run never changes, so what is read or worked out from it is kept:

- its run record (with the summary the writer puts in it at close), downloaded once;
- rows derived from it, such as the runs table's row for one choice of parameters and
  series, or ``lab-workbook list``'s summary (:meth:`~lab_workbook.ExperimentRepository.finished_rows`).

Keeping one store's entries of one kind together in a single file lets a table of 10,000
runs start in a new process by reading one file, instead of 10,000 cache entries or
records, and send no request per finished run.

The files live in the disk cache's folder (``clear_cache`` removes them) and are rewritten
atomically, merged with what another process may have added meanwhile. Without a disk
cache an index lives in memory only, for the repository's lifetime.
"""

from __future__ import annotations

from collections.abc import Callable
import hashlib
import json
import os
from pathlib import Path
import threading
from typing import Any

from lab_workbook_core import write_atomic

__all__ = ["RunIndex", "index_path"]

RECORDS = "records"  # the kind of the run records' index
_RECORDS_SUFFIX = ".runs.json"
_ROWS_SUFFIX = ".rows.json"
#: Derived rows' files kept per cache folder: each choice of table columns makes one, and a
#: notebook that tries many choices must not fill the disk. The least recently used go first.
MAX_ROW_FILES = 32


def index_path(folder: Path, namespace: str, kind: str) -> Path:
    """Where the index of ``kind`` (``"records"`` or a derived rows' name) of a store lives."""
    digest = hashlib.sha256(f"{namespace}\x00{kind}".encode()).hexdigest()
    return Path(folder) / f"{digest}{_RECORDS_SUFFIX if kind == RECORDS else _ROWS_SUFFIX}"


class RunIndex:
    """``{tag: JSON value}`` about one store's finished runs, loaded lazily and saved on demand.

    Args:
        path: the file (:func:`index_path`), or ``None`` to keep the entries in memory only.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, Any] | None = None
        self._added: dict[str, Any] = {}
        self._fallback: Callable[[str], Any | None] | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = _read(self.path)
        return self._entries

    def load(self) -> None:
        """Read the file now (a caller with time to spare, e.g. while the store answers a listing)."""
        with self._lock:
            self._loaded()

    def get(self, tag: str) -> Any | None:
        """The finished run's entry, or ``None`` if it is not known yet (here, or to :meth:`offer`'s lookup)."""
        with self._lock:
            entry = self._loaded().get(tag)
            fallback = self._fallback
        return fallback(tag) if entry is None and fallback is not None else entry

    def add(self, tag: str, entry: Any) -> None:
        """Remember a finished run's entry (on disk at the next :meth:`save`)."""
        with self._lock:
            self._loaded()[tag] = entry
            if self.path is not None:
                self._added[tag] = entry

    def offer(self, lookup: Callable[[str], Any | None]) -> None:
        """Ask ``lookup(tag)`` for the entries this index does not know, for this process only (never
        saved): the run records (typed, checked by core) of the store's runs index, each parsed when
        first asked for."""
        with self._lock:
            self._fallback = lookup

    def forget(self) -> None:
        """Drop what is in memory and not saved (the cache folder was cleared)."""
        with self._lock:
            self._entries, self._added = None, {}

    def save(self) -> None:
        """Write the entries added since the last save (merged with the file as it is now)."""
        with self._lock:
            if not self._added or self.path is None:
                return
            merged = {**_read(self.path), **self._loaded(), **self._added}
            try:
                text = json.dumps(merged, separators=(",", ":"), ensure_ascii=False)  # dumps: the C encoder
                write_atomic(self.path, text.encode("utf-8"), durable=False, prefix=".tmp-")  # a cache: no fsync
            except (OSError, TypeError, ValueError):
                return  # a cache that cannot be written only costs downloads next time
            self._entries, self._added = merged, {}
        if self.path.name.endswith(_ROWS_SUFFIX):
            _prune(self.path.parent)


def _read(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            loaded = json.load(handle)
        if path.name.endswith(_ROWS_SUFFIX):
            os.utime(path)  # recently used: the last to be pruned
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _prune(folder: Path) -> None:
    """Delete the least recently used derived rows' files beyond :data:`MAX_ROW_FILES`."""
    try:
        files = sorted(folder.glob(f"*{_ROWS_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[MAX_ROW_FILES:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # another process pruned first
