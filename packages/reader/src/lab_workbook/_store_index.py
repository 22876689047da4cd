"""The store's runs index as one repository reads and extends it (the format is core's :mod:`lab_workbook_core.runs_index`).

Reading, when a table needs at least :data:`USE_INDEX_FROM` records it does not have: one listing of the index folder, then the cover's objects (from the disk cache once
downloaded: they never change). Their records are offered to the repository's records
(:meth:`~lab_workbook._run_index.RunIndex.offer`), so a run they hold is read with no request;
the pipeline of run rows still takes its runs from the listing of run folders, so a run deleted
by hand is never shown, and reads every other run (new, running, not yet indexed) directly.

Writing: finished runs whose records were read and that the cover does not hold are noted;
once there are :data:`~lab_workbook_core.runs_index.WRITE_AFTER` of them (or on
``lab-workbook index``) one object is written for them, or, when the cover has grown to
:data:`~lab_workbook_core.runs_index.MERGE_AT` objects, one object merging the cover and them.
A store that refuses the write (a read-only credential or folder) is noted at debug level and
not asked again by this repository; nothing here raises a storage error to a reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import json
import logging
import threading
from typing import Any
import warnings

from lab_workbook_core import (
    CorruptArtifactError,
    ObjectNotFound,
    StorageError,
    StoreFeatureMissing,
    concurrent_map,
)
from lab_workbook_core.keys import run_record_key
from lab_workbook_core.record import RunRecord
from lab_workbook_core.runs_index import (
    MERGE_AT,
    RUNS_INDEX_PREFIX,
    WRITE_AFTER,
    IndexObject,
    cover,
    decode_index,
    encode_index,
    index_record,
    indexable,
    merged_key,
    new_object_key,
    parse_object_key,
    rebuild_key,
)

from ._problems import RunsIndexWarning
from ._source import ObjectSource

__all__ = ["USE_INDEX_FROM", "IndexWritten", "StoreIndex"]

_log = logging.getLogger("lab_workbook")
#: Records to fetch at once from which the index is read first. Fewer cost fewer requests read
#: directly than the index's listing and objects (``lab-workbook list`` shows 20 runs of 100,000 with
#: 20 small GETs, not a download of the whole index); the first chunk of run rows is this size.
USE_INDEX_FROM = 32


@dataclass(frozen=True)
class IndexWritten:
    """What a write of the runs index did (``wb.write_index()``, ``lab-workbook index``).

    Attributes:
        key: the object written (relative to the prefix), or ``None`` when nothing was written.
        runs: the finished runs it holds.
        replaced: index objects it makes unnecessary (merged into it, or an older generation).
        reason: why nothing was written, when ``key`` is ``None``.
    """

    key: str | None
    runs: int
    replaced: int = 0
    reason: str = ""


class StoreIndex:
    """The runs index of one store, for one repository.

    Args:
        source: the store's objects, through the disk cache.
        may_write: whether this reader may write index objects by itself (the config's ``indexWrites``).
    """

    def __init__(self, source: ObjectSource, *, may_write: bool) -> None:
        self._source = source
        self._may_write = may_write
        self._lock = threading.Lock()
        self._loaded = False
        self._objects: list[IndexObject] = []
        self._cover: list[IndexObject] = []
        self._texts: dict[str, str] = {}  # the cover's rows: each run's record as JSON, parsed when asked for
        self._parsed: dict[str, RunRecord | None] = {}  # those parsed (None: a row no reader can trust)
        self._unindexed: dict[str, RunRecord] = {}

    @property
    def loaded(self) -> bool:
        """Whether :meth:`load` ran (the cover's records are at hand)."""
        return self._loaded

    def load(self) -> None:
        """List the index folder and read the cover (once per repository); offer its records."""
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            try:
                listing = self._source.storage.list(RUNS_INDEX_PREFIX, delimiter=None)
            except StorageError as err:
                _log.debug("runs index: cannot list %s (%s): every run is read directly", RUNS_INDEX_PREFIX, err)
                return
            self._objects = [o for o in (parse_object_key(i.key, i.size) for i in listing.objects) if o]
            self._cover = cover(self._objects)
            for found in self._read(self._cover):
                for tag, text in found.items():
                    self._texts.setdefault(tag, text)
            self._source.records.offer(self.record)

    def record(self, tag: str) -> RunRecord | None:
        """The record the cover holds for ``tag`` (parsed and checked the first time), or ``None``."""
        if tag in self._parsed:
            return self._parsed[tag]
        text = self._texts.get(tag)
        found = index_record(tag, text) if text is not None else None
        if text is not None:
            self._parsed[tag] = found  # a dict's item assignment: safe across threads
        return found

    def _read(self, objects: list[IndexObject]) -> list[dict[str, str]]:
        """The records of each object (``{}`` for one that cannot be read: its runs are read directly)."""
        return concurrent_map(self._read_one, objects, self._source.max_workers)

    def _read_one(self, obj: IndexObject) -> dict[str, str]:
        try:
            data = self._source.fetch(obj.key, final=True)  # immutable: the disk cache serves it for good
            return decode_index(data, self._source.storage.url(obj.key))
        except ObjectNotFound:
            _log.debug("runs index: %s was deleted meanwhile (a rebuild): its runs are read directly", obj.key)
        except CorruptArtifactError as err:
            self._source.distrust(obj.key)
            warnings.warn(
                f"runs index: {err}; it is ignored and its runs are read directly "
                "(`lab-workbook index --rebuild` writes a new index)",
                RunsIndexWarning,
                stacklevel=2,
            )
        except StorageError as err:
            _log.debug("runs index: cannot read %s (%s): its runs are read directly", obj.key, err)
        return {}

    def holds(self, tag: str) -> bool:
        """Whether the cover holds the run ``tag`` (after :meth:`load`; a row no reader can trust
        counts: its run is read directly, and a rebuild drops the row)."""
        return tag in self._texts or self._parsed.get(tag) is not None

    def decoded(self, tag: str) -> dict[str, Any] | None:
        """The cover's row for ``tag`` as decoded JSON, not checked (a caller making rows straight from it
        checks what it uses, as :func:`~lab_workbook_core.record.record_problems` does), or ``None``."""
        text = self._texts.get(tag)
        if text is None:
            return None
        try:
            found = json.loads(text)
        except ValueError:
            return None
        return found if isinstance(found, dict) else None

    def tags(self) -> list[str]:
        """The tags the cover holds, sorted (after :meth:`load`)."""
        return sorted({*self._texts, *(t for t, r in self._parsed.items() if r is not None)})

    def note_read(self, tag: str, record: RunRecord | None) -> None:
        """A run's record just read: indexed by the next write if the run is over and the cover does not hold it."""
        if record is not None and not self.holds(tag) and indexable(record) and record.tag in (None, tag):
            with self._lock:
                self._unindexed[tag] = record

    def due(self) -> bool:
        """Whether this reader should write an index object now (enough runs read, and it may write)."""
        return self._may_write and len(self._unindexed) >= WRITE_AFTER

    def rebuild(self, listed: Iterable[str]) -> IndexWritten:
        """Write a new generation holding every listed finished run, read from its record now, and
        delete every older index object. The index is not trusted: it is what is being repaired.

        Raises:
            StorageError: the store refused the write, or a record could not be read.
        """
        storage = self._source.storage
        objects = [
            o
            for o in (parse_object_key(i.key, i.size) for i in storage.list(RUNS_INDEX_PREFIX, delimiter=None).objects)
            if o
        ]

        def record(tag: str) -> RunRecord | None:
            try:
                found = RunRecord.parse(storage.get_bytes(run_record_key(tag)), tag)
            except (ObjectNotFound, CorruptArtifactError):  # the original tool's run, a damaged record
                return None
            return found

        tags = list(listed)
        found = concurrent_map(record, tags, self._source.max_workers)
        runs = {t: r for t, r in zip(tags, found, strict=True) if r is not None and indexable(r) and r.tag in (None, t)}
        if not runs:
            return IndexWritten(None, 0, reason="no finished run to index")
        key = rebuild_key(objects)
        data = encode_index(runs)
        self._put(key, data)
        self._delete([o.key for o in objects])
        written = parse_object_key(key, len(data))
        assert written is not None
        with self._lock:
            self._loaded, self._objects, self._cover = True, [written], [written]
            self._texts, self._parsed = {}, dict(runs)
            self._unindexed.clear()
        return IndexWritten(key, len(runs), len(objects))

    def write(self, listed: Iterable[str], *, explicit: bool = False) -> IndexWritten:
        """Write one index object: the finished runs read and not indexed, or, merging, with the cover's.

        Args:
            listed: the tags the listing of run folders has; a run no longer listed is never written.
            explicit: asked for (``lab-workbook index``): a refused write raises instead of being noted.

        Raises:
            StorageError: the store refused the write, when ``explicit``.
        """
        self.load()
        present = set(listed)
        with self._lock:
            fresh = {t: r for t, r in self._unindexed.items() if t in present and not self.holds(t)}
            objects, chosen = list(self._objects), list(self._cover)
        if len(chosen) + 1 >= MERGE_AT and fresh:
            held = {t: self.record(t) for t in {*self._texts, *self._parsed} if t in present}
            runs = {**{t: r for t, r in held.items() if r is not None}, **fresh}
            key, replaced = merged_key(chosen), chosen
        elif fresh:
            runs, key, replaced = fresh, new_object_key(objects), []
        else:
            return IndexWritten(None, 0, reason="every finished run listed is indexed already")
        if not runs:
            return IndexWritten(None, 0, reason="no finished run to index")
        data = encode_index(runs)
        try:
            self._put(key, data)
        except StorageError as err:
            if explicit:
                raise
            self._may_write = False  # a read-only store: not asked again by this repository
            _log.debug("runs index: not written (%s)", err)
            return IndexWritten(None, 0, reason=str(err))
        written = parse_object_key(key, len(data))
        assert written is not None
        with self._lock:
            for tag in runs:
                self._unindexed.pop(tag, None)
            self._parsed.update(runs)
            self._objects.append(written)
            self._cover = cover(self._objects)
        return IndexWritten(key, len(runs), len(replaced))

    def _put(self, key: str, data: bytes) -> None:
        try:
            self._source.storage.put_bytes(key, data, if_absent=True)
        except StoreFeatureMissing:  # no conditional writes: the key's random part keeps it unique anyway
            self._source.storage.put_bytes(key, data)

    def _delete(self, keys: list[str]) -> None:
        if not keys:
            return
        try:
            self._source.storage.delete(keys)
        except StorageError as err:
            _log.debug("runs index: older objects not deleted (%s); readers ignore them", err)
        with self._lock:
            self._objects = [o for o in self._objects if o.key not in set(keys)]
