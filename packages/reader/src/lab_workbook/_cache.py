"""The local disk cache of downloaded objects.

A finished experiment never changes, so what was downloaded from it once is kept
on local disk and served from there without a request. Objects of experiments
that may still change (running, crashed, or written by the original tool) are
kept too, with their ETag, so that the next load revalidates instead of
downloading again.

Entries live in one folder under :func:`lab_workbook_core.cache_dir`, named by a
hash of the store's address and the key; each has a small ``.meta`` sidecar
(``{"etag": ..., "final": ...}``). When the folder grows past its size cap the
least recently used entries are evicted. Entries are written by a background thread
(:mod:`lab_workbook._cache_writes`) and served from memory until they are on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import json
import logging
import mmap
import os
from pathlib import Path
import shutil
import threading

from lab_workbook_core import cache_dir, write_atomic

from ._cache_writes import WRITER, PendingEntry

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_CACHE_BYTES", "CacheEntry", "DiskCache", "clear_cache", "wait_for_cache_writes"]

#: Default size cap of the cache folder (2 GiB).
DEFAULT_CACHE_BYTES = 2 * 1024**3
_FOLDER = "objects"
_TMP = ".tmp-"


@dataclass(frozen=True)
class CacheEntry:
    """A cached object: its content, its ETag, and whether it can never change."""

    data: bytes
    etag: str | None
    final: bool


class DiskCache:
    """Objects of one store, cached under ``root``.

    Args:
        namespace: identifies the store (endpoint and prefix URL), so two stores never share entries.
        root: the cache folder (default: ``cache_dir()/objects``).
        max_bytes: size cap; least recently used entries are evicted past it.
    """

    def __init__(self, namespace: str, root: Path | None = None, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.namespace = namespace
        self.root = Path(root) if root is not None else cache_dir() / _FOLDER
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._size: int | None = None  # bytes in the folder, measured on first write

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(f"{self.namespace}\x00{key}".encode()).hexdigest()
        return self.root / digest

    def get(self, key: str) -> CacheEntry | None:
        """The cached entry for ``key``, or ``None``; a hit marks the entry as recently used."""
        path = self._path(key)
        if (pending := WRITER.pending(path)) is not None:
            return CacheEntry(pending.data, pending.etag, pending.final)
        try:
            meta = json.loads(path.with_suffix(".meta").read_text(encoding="utf-8"))
            data = path.read_bytes()
        except (OSError, ValueError):
            return None
        if len(data) != meta.get("size", len(data)):
            return None  # a torn entry (another process evicting it right now)
        try:
            os.utime(path)
        except OSError:
            pass
        return CacheEntry(data, meta.get("etag"), bool(meta.get("final")))

    def map(self, key: str) -> mmap.mmap | bytes | None:
        """A read-only memory map of the cached content of ``key`` (only the pages read are loaded).

        An entry not yet on disk is its bytes instead.
        """
        path = self._path(key)
        if (pending := WRITER.pending(path)) is not None:
            return pending.data
        try:
            with open(path, "rb") as handle:
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            os.utime(path)
        except (OSError, ValueError):  # absent, or empty (mmap refuses empty files)
            return None
        return mapped

    def put(self, key: str, data: bytes, *, etag: str | None, final: bool) -> None:
        """Store ``data``: served at once, on disk shortly after (atomically: a reader never sees half an entry)."""
        if len(data) > self.max_bytes:
            return
        path = self._path(key)
        meta = json.dumps({"key": key, "etag": etag, "final": final, "size": len(data)})

        def write() -> None:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                _write_atomic(path, data)
                _write_atomic(path.with_suffix(".meta"), meta.encode())
            except OSError as err:
                logger.debug("cache entry %s not written: %s", path, err)
                return  # a cache that cannot be written only costs a download next time
            self._account(len(data))

        WRITER.submit(path, PendingEntry(data, etag, final, write))

    def _account(self, written: int) -> None:
        with self._lock:
            if self._size is None:
                self._size = _folder_size(self.root)
            else:
                self._size += written
            if self._size > self.max_bytes:
                self._size = _evict(self.root, self.max_bytes * 3 // 4)

    def flush(self) -> None:
        """Wait until what was put in this (or any) cache of the process is on disk."""
        WRITER.flush()


def _write_atomic(path: Path, data: bytes) -> None:
    # Not fsynced: an entry lost in a power cut only costs a download, and a cache write
    # must not wait for the disk.
    write_atomic(path, data, durable=False, prefix=_TMP)


def _entries(root: Path) -> list[os.DirEntry[str]]:
    try:
        return [
            e for e in os.scandir(root) if e.is_file() and not e.name.endswith(".meta") and not e.name.startswith(_TMP)
        ]
    except OSError:
        return []


def _folder_size(root: Path) -> int:
    return sum(e.stat().st_size for e in _entries(root))


def _evict(root: Path, target: int) -> int:
    """Delete least recently used entries until the folder holds at most ``target`` bytes."""
    entries = sorted(_entries(root), key=lambda e: e.stat().st_mtime)
    total = sum(e.stat().st_size for e in entries)
    for entry in entries:
        if total <= target:
            break
        total -= entry.stat().st_size
        for victim in (entry.path, entry.path + ".meta"):
            try:
                os.unlink(victim)
            except OSError:
                pass
    return total


def clear_cache(root: Path | None = None) -> None:
    """Delete every cached object (of every store); the next loads download again."""
    folder = Path(root) if root is not None else cache_dir() / _FOLDER
    WRITER.discard(folder, lambda: shutil.rmtree(folder, ignore_errors=True))


def wait_for_cache_writes() -> None:
    """Wait until every entry this process put in a cache is on disk (the interpreter waits at exit too)."""
    WRITER.flush()
