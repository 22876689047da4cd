"""The run records of finished experiments, kept in one local file per store.

A finished run never changes, so its record (with the summary the writer puts in
it at close) is downloaded once. Keeping the records of one store together in a
single file lets a runs table of 10,000 runs start in a new process by reading
one file, instead of 10,000 cache entries, and send no request per finished run.

The file lives in the disk cache's folder (``clear_cache`` removes it) and is
rewritten atomically, merged with what another process may have added meanwhile.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
import threading
from typing import Any

from lab_workbook_core import write_atomic

__all__ = ["RecordIndex"]

_SUFFIX = ".runs.json"


class RecordIndex:
    """``{tag: record}`` of one store's finished runs, loaded lazily and saved on demand.

    Args:
        folder: where the file lives (the disk cache's folder).
        namespace: identifies the store, as for the disk cache.
    """

    def __init__(self, folder: Path, namespace: str) -> None:
        digest = hashlib.sha256(f"{namespace}\x00records".encode()).hexdigest()
        self.path = Path(folder) / f"{digest}{_SUFFIX}"
        self._records: dict[str, dict[str, Any]] | None = None
        self._added: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _loaded(self) -> dict[str, dict[str, Any]]:
        if self._records is None:
            self._records = _read(self.path)
        return self._records

    def get(self, tag: str) -> dict[str, Any] | None:
        """The finished run's record, or ``None`` if it is not known yet."""
        with self._lock:
            return self._loaded().get(tag)

    def add(self, tag: str, record: dict[str, Any]) -> None:
        """Remember a finished run's record (on disk at the next :meth:`save`)."""
        with self._lock:
            self._loaded()[tag] = record
            self._added[tag] = record

    def forget(self) -> None:
        """Drop what is in memory and not saved (the cache folder was cleared)."""
        with self._lock:
            self._records, self._added = None, {}

    def save(self) -> None:
        """Write the records added since the last save (merged with the file as it is now)."""
        with self._lock:
            if not self._added:
                return
            merged = {**_read(self.path), **self._loaded(), **self._added}
            try:
                text = json.dumps(merged, separators=(",", ":"), ensure_ascii=False)  # dumps: the C encoder
                write_atomic(self.path, text.encode("utf-8"), durable=False, prefix=".tmp-")  # a cache: no fsync
            except OSError:
                return  # a cache that cannot be written only costs downloads next time
            self._records, self._added = merged, {}


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as handle:
            loaded = json.load(handle)
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}
