"""Where the reader's bytes come from: the store, through the disk cache.

Every download of the reader goes through :class:`ObjectSource`, which decides
between "serve from disk with no request" (the object belongs to a finished
experiment and was cached), "revalidate" (a conditional GET with the cached
ETag: the object may still change) and "download".
"""

from __future__ import annotations

import atexit
from collections.abc import Iterable
from dataclasses import dataclass
import threading
import weakref

from lab_workbook_core import Config, Storage, concurrent_map

from ._cache import CacheEntry, DiskCache
from ._run_index import RECORDS, RunIndex, index_path

__all__ = ["ObjectSource", "Requested", "store_namespace"]

#: Which rules the disk cache's entries were kept by; part of every entry's name. 2 (reader 0.2.0): only
#: ``finished`` runs are final. A reader 0.1 kept failed and interrupted runs as final; such a run may
#: since have been resumed, so a newer reader sharing its cache folder must not reuse those entries.
CACHE_RULES = 2


def store_namespace(config: Config) -> str:
    """A string that identifies a store: the endpoint (for S3-compatible services) and the prefix URL.

    ``config.endpoint_url`` is already resolved by core (``AWS_ENDPOINT_URL_S3``, then
    ``AWS_ENDPOINT_URL``, then the config file's ``endpointUrl``). It starts with :data:`CACHE_RULES`,
    so entries kept by a reader of other rules are never read (they age out of the cache).
    """
    endpoint = (config.endpoint_url or "") if config.location.scheme == "s3" else ""
    return f"{CACHE_RULES}|{endpoint}|{config.location.url}"


@dataclass(frozen=True)
class Requested:
    """What :meth:`ObjectSource.request` got: the cached entry it found and the store's answer.

    Attributes:
        key: the object's key.
        entry: the cached copy (``None``: none); a final one was not asked for again.
        data: the bytes downloaded; ``None`` when the cached copy stands (unchanged, or final).
        etag: the object's ETag (the cached copy's when nothing was downloaded).
    """

    key: str
    entry: CacheEntry | None
    data: bytes | None
    etag: str | None


class ObjectSource:
    """Reads objects of one store, using and filling the disk cache.

    Args:
        storage: the store.
        cache: the disk cache, or ``None`` to download every time.
        max_workers: how many downloads run at once in :meth:`fetch_many` and friends.

    Attributes:
        records: the finished runs' records kept on disk (in memory only without a cache), and
            those the store's runs index holds (:meth:`RunIndex.offer`).
    """

    def __init__(self, storage: Storage, cache: DiskCache | None, max_workers: int) -> None:
        self.storage = storage
        self.cache = cache
        self.max_workers = max(1, max_workers)
        self.records = RunIndex(index_path(cache.root, cache.namespace, RECORDS) if cache is not None else None)
        self._rows: dict[str, RunIndex] = {}
        self._rows_lock = threading.Lock()
        atexit.register(_save_at_exit, weakref.ref(self))

    def rows(self, name: str) -> RunIndex:
        """The finished runs' rows derived under ``name`` (on disk with a cache, else in memory)."""
        with self._rows_lock:
            index = self._rows.get(name)
            if index is None:
                path = index_path(self.cache.root, self.cache.namespace, name) if self.cache is not None else None
                index = self._rows[name] = RunIndex(path)
            return index

    def _indexes(self) -> list[RunIndex]:
        """Every index in use: the records', then each kind of rows."""
        with self._rows_lock:
            rows = list(self._rows.values())
        return [self.records, *rows]

    def save_indexes(self) -> None:
        """Write what every index learned since its last save (the interpreter does it at exit too)."""
        for index in self._indexes():
            index.save()

    def forget_indexes(self) -> None:
        """Drop what every index holds in memory (the cache folder was cleared)."""
        for index in self._indexes():
            index.forget()

    def request(self, key: str) -> Requested:
        """The store's half of :meth:`fetch`, before it is known whether the object is final.

        Sent while the run record is read (on another thread: it keeps nothing, so it is safe
        on any thread); :meth:`settle` then keeps the bytes as that record decides. A final
        cached copy is only ever kept for a finished run, so it is not asked for again here.

        Raises:
            ObjectNotFound: nothing is stored under ``key``.
        """
        if self.cache is None:
            return Requested(key, None, self.storage.get_bytes(key), None)
        entry = self.cache.get(key)
        if entry is not None and entry.final:
            return Requested(key, entry, None, entry.etag)
        data, etag = self.storage.get_if_changed(key, entry.etag if entry is not None else None)
        return Requested(key, entry, data, etag)

    def settle(self, requested: Requested, *, final: bool) -> bytes:
        """What :meth:`fetch` of ``requested.key`` returns, from the answer :meth:`request` got."""
        entry, data, etag = requested.entry, requested.data, requested.etag
        if self.cache is None:
            assert data is not None
            return data
        if entry is not None and entry.final and data is None:  # not asked for: see request
            if final:
                return entry.data
            return self.fetch(requested.key, final=False)  # a final copy of a run not over: revalidate it, as fetch
        if data is None and entry is not None:  # unchanged since it was cached
            if final:
                self.cache.put(requested.key, entry.data, etag=etag, final=True)
            return entry.data
        assert data is not None
        self.cache.put(requested.key, data, etag=etag, final=final)
        return data

    def fetch(self, key: str, *, final: bool) -> bytes:
        """The object's content.

        Args:
            key: the object's key, relative to the store's prefix.
            final: the object can no longer change (its experiment is over, or it is a
                write-once segment): a cached copy is served without any request.

        Raises:
            ObjectNotFound: nothing is stored under ``key``.
        """
        if self.cache is None:
            return self.storage.get_bytes(key)
        entry = self.cache.get(key)
        if entry is not None and entry.final and final:
            return entry.data
        data, etag = self.storage.get_if_changed(key, entry.etag if entry is not None else None)
        if data is None and entry is not None:  # unchanged since it was cached
            if final:
                self.cache.put(key, entry.data, etag=etag, final=True)
            return entry.data
        assert data is not None
        self.cache.put(key, data, etag=etag, final=final)
        return data

    def distrust(self, key: str) -> None:
        """The cached copy of ``key`` could not be parsed: revalidate it (a conditional GET) next time.

        A damaged object of a finished run would otherwise be served from disk for good,
        even after it was repaired in the store.
        """
        entry = self.cache.get(key) if self.cache is not None else None
        if self.cache is not None and entry is not None and entry.final:
            self.cache.put(key, entry.data, etag=entry.etag, final=False)

    def fetch_many(self, keys: Iterable[str], *, final: bool) -> list[bytes]:
        """Several objects, downloaded concurrently, in the order of ``keys``."""
        return concurrent_map(lambda key: self.fetch(key, final=final), list(keys), self.max_workers)


def _save_at_exit(source: weakref.ref[ObjectSource]) -> None:
    if (alive := source()) is not None:
        alive.save_indexes()
