"""The runs index: immutable Parquet objects in the store summing up its finished runs.

A runs table over a store it has never seen would cost one GET per run (its record). A
finished run never changes, so its record can be written once more, with many others, into
one object that any reader fetches instead: 100,000 runs in a few GETs. ``docs/format.md``
("The runs index") describes the format for humans and other languages; its rules live here,
once, and the reader, the CLI and SQL recipes follow them.

- **Where.** Under the prefix's reserved folder ``.lab-workbook/`` (a folder starting with ``.``
  is never an experiment: no tag can take the name, and every reader, older ones included,
  skips it): ``.lab-workbook/index/runs/generation=<6 digits>/<first>-<last>-<nonce>.parquet``.
- **Immutable.** Every object is written once, create-only (S3 ``If-None-Match: *``, a hard link
  locally: the storage's ``put_bytes(..., if_absent=True)``, as tag claims are), never rewritten.
- **What.** One row per finished run (:data:`COLUMNS`): its tag, status and times as columns SQL
  engines read natively, and its whole run record as JSON text. Running runs are never indexed,
  nor failed or interrupted ones, which may still be resumed.
- **Which objects.** Each object of a generation spans sequence numbers ``first..last``: a new
  object takes ``last + 1`` of the newest one seen; merging objects makes one spanning theirs
  (log-structured: small objects are merged into bigger ones as the store grows). The *cover*
  (:func:`cover`) is, in the newest generation, the widest objects whose spans do not overlap;
  objects with the same span (two writers at once) are all taken. Two objects may hold the same
  run: readers take each run once. ``lab-workbook index --rebuild`` starts a new generation,
  which replaces every older one.
- **Trust.** The index only saves requests: a reader shows the runs the listing of run folders
  has, and reads directly any run the cover does not hold, so a lost, damaged or incomplete
  index object costs time, never a wrong table.

pyarrow (a dependency of the reader, not of core) is imported only by :func:`encode_index` and
:func:`decode_index`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import json
import re
import secrets
from typing import Any

from .errors import CorruptArtifactError, MissingDependencyError
from .keys import RESERVED_DIR
from .record import FINISHED, RunRecord, parse_time

__all__ = [
    "COLUMNS",
    "INDEX_FORMAT",
    "INDEX_FORMAT_VERSION",
    "MERGE_AT",
    "RUNS_INDEX_PREFIX",
    "WRITE_AFTER",
    "IndexObject",
    "cover",
    "decode_index",
    "encode_index",
    "index_record",
    "indexable",
    "merged_key",
    "new_object_key",
    "parse_object_key",
    "rebuild_key",
]

#: The folder (relative to the prefix) that every index object is under; listed without delimiter.
RUNS_INDEX_PREFIX = f"{RESERVED_DIR}/index/runs/"
#: The Parquet file's ``format`` metadata: identifies the object.
INDEX_FORMAT = "lab-workbook/runs-index"
#: Its ``format_version``: bumped on incompatible changes only.
INDEX_FORMAT_VERSION = 1
#: A reader that has just read this many finished runs' records that no index object holds writes one.
WRITE_AFTER = 1000
#: A reader that finds this many objects in the cover merges them into one.
MERGE_AT = 8
#: The columns, in order, with their Parquet types (``record`` is the run record as JSON text).
COLUMNS: Mapping[str, str] = {
    "tag": "string",
    "status": "string",
    "started": "timestamp[us, tz=UTC]",
    "ended": "timestamp[us, tz=UTC]",
    "heartbeat": "timestamp[us, tz=UTC]",
    "description": "string",
    "host": "string",
    "user": "string",
    "git_commit": "string",
    "writer_version": "string",
    "record": "string",
}
_TIMES = ("started", "ended", "heartbeat")
_GENERATION = "generation="
_NAME = re.compile(r"^generation=(\d{6,})/(\d{8,})-(\d{8,})-([0-9a-f]{16})\.parquet$")


@dataclass(frozen=True)
class IndexObject:
    """One index object, as its key names it (:func:`parse_object_key`).

    Attributes:
        key: its key, relative to the prefix.
        generation: its generation (``--rebuild`` makes a new one, which replaces the older).
        first: the first sequence number it spans.
        last: the last one (``first`` for an object written from runs just read).
        size: its size in bytes, from the listing.
    """

    key: str
    generation: int
    first: int
    last: int
    size: int = 0

    @property
    def span(self) -> tuple[int, int]:
        """``(first, last)``."""
        return self.first, self.last


def _key(generation: int, first: int, last: int) -> str:
    nonce = secrets.token_hex(8)  # two writers at once never pick the same key
    return f"{RUNS_INDEX_PREFIX}{_GENERATION}{generation:06d}/{first:08d}-{last:08d}-{nonce}.parquet"


def parse_object_key(key: str, size: int = 0) -> IndexObject | None:
    """The index object a listed key names, or ``None`` for any other key (readers ignore those)."""
    if not key.startswith(RUNS_INDEX_PREFIX):
        return None
    match = _NAME.match(key[len(RUNS_INDEX_PREFIX) :])
    if match is None:
        return None
    generation, first, last = (int(match.group(i)) for i in (1, 2, 3))
    return IndexObject(key, generation, first, last, size) if first <= last else None


def _newest(objects: Iterable[IndexObject]) -> list[IndexObject]:
    found = list(objects)
    top = max((o.generation for o in found), default=None)
    return [o for o in found if o.generation == top]


def cover(objects: Iterable[IndexObject]) -> list[IndexObject]:
    """The objects a reader fetches, in span order: the newest generation's widest non-overlapping spans.

    An object spanning the sequences of others (their merge) replaces them; objects of one span
    (two writers at once) are all taken, and may hold the same runs.
    """
    chosen: list[IndexObject] = []
    for candidate in sorted(_newest(objects), key=lambda o: (o.first - o.last, o.first, o.key)):
        clash = [c for c in chosen if c.first <= candidate.last and candidate.first <= c.last]
        if all(c.span == candidate.span for c in clash):
            chosen.append(candidate)
    return sorted(chosen, key=lambda o: (o.first, o.key))


def new_object_key(objects: Iterable[IndexObject]) -> str:
    """The key of a new object of runs just read: the newest generation, after every span seen."""
    newest = _newest(objects)
    generation = newest[0].generation if newest else 1
    following = max((o.last for o in newest), default=0) + 1
    return _key(generation, following, following)


def merged_key(parts: Iterable[IndexObject]) -> str:
    """The key of the object merging ``parts`` (of one generation): it spans all of theirs."""
    found = list(parts)
    if not found or len({p.generation for p in found}) != 1:
        raise ValueError("merge objects of one generation (at least one)")
    return _key(found[0].generation, min(p.first for p in found), max(p.last for p in found))


def rebuild_key(objects: Iterable[IndexObject]) -> str:
    """The key of the one object of a new generation (``--rebuild``), which replaces every older object."""
    return _key(max((o.generation for o in objects), default=0) + 1, 1, 1)


def indexable(record: RunRecord) -> bool:
    """Whether a run record may be indexed: the run finished, so its record never changes again.

    Not a failed or interrupted run: it may still be resumed (``docs/format.md``, *Attempts*), and
    its record change; its record is read directly, as a running run's is.
    """
    return record.status == FINISHED


def encode_index(records: Mapping[str, RunRecord]) -> bytes:
    """A Parquet object of finished runs' records, ``{tag: record}`` (runs not over are left out).

    Raises:
        MissingDependencyError: pyarrow is not installed.
    """
    pa, pq = _pyarrow()
    rows = {tag: record for tag, record in records.items() if indexable(record) and record.tag in (None, tag)}
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for tag in sorted(rows):
        record = rows[tag]
        for name in COLUMNS:
            if name == "record":
                value: Any = json.dumps(record.to_mapping(), ensure_ascii=False, separators=(",", ":"))
            elif name in _TIMES:
                value = parse_time(getattr(record, name))
            elif name == "tag":
                value = tag
            else:
                value = getattr(record, name)
            columns[name].append(value)
    schema = pa.schema(
        [
            pa.field(name, pa.timestamp("us", tz="UTC") if name in _TIMES else pa.string(), nullable=name != "tag")
            for name in COLUMNS
        ],
        metadata={"format": INDEX_FORMAT, "format_version": str(INDEX_FORMAT_VERSION)},
    )
    table = pa.table(columns, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def decode_index(data: bytes, where: str = "the index object") -> dict[str, str]:
    """``{tag: the run record's JSON text}`` of an index object (the first row of a tag wins).

    The records are not parsed here: a table of the newest 20 runs of 100,000 parses 20 of them
    (:func:`index_record`, which leaves out a row no reader can trust: its run is read directly).

    Raises:
        CorruptArtifactError: the bytes are not a Parquet file of this format (cut short, damaged,
            another format or a newer version); the message names ``where``.
        MissingDependencyError: pyarrow is not installed.
    """
    pa, pq = _pyarrow()
    try:
        # ParquetFile, not read_table: the dataset machinery read_table starts costs 0.4 s in a new process
        table = pq.ParquetFile(pa.BufferReader(data)).read(columns=["tag", "record"], use_threads=False)
        meta = table.schema.metadata or {}
    except (pa.ArrowException, OSError, ValueError) as err:
        raise CorruptArtifactError(f"{where} is not a readable Parquet file: {err}") from err
    if meta.get(b"format") != INDEX_FORMAT.encode():
        raise CorruptArtifactError(f"{where} is not a lab-workbook runs index (no format {INDEX_FORMAT!r})")
    if meta.get(b"format_version") != str(INDEX_FORMAT_VERSION).encode():
        version = meta.get(b"format_version", b"?").decode(errors="replace")
        raise CorruptArtifactError(f"{where} has format version {version}; this version reads {INDEX_FORMAT_VERSION}")
    found: dict[str, str] = {}
    for tag, text in zip(table.column("tag").to_pylist(), table.column("record").to_pylist(), strict=True):
        if isinstance(tag, str) and isinstance(text, str):
            found.setdefault(tag, text)
    return found


def index_record(tag: str, text: str) -> RunRecord | None:
    """The run record of an index row (:func:`decode_index`), checked as a stored record is; ``None`` for
    a row no reader can trust (not a record, not a finished run's, or another run's): read the run directly."""
    try:
        record = RunRecord.parse(text.encode("utf-8"), tag)
    except CorruptArtifactError:
        return None
    return record if indexable(record) and record.tag in (None, tag) else None


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as err:
        raise MissingDependencyError(
            "the runs index is Parquet: pip install pyarrow (the reader, lab-workbook, installs it)"
        ) from err
    return pa, pq
