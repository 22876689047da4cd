"""The local spool: what an experiment has not sent yet, in a form another process can send.

Each experiment owns one folder under the spool directory (core's ``spool_dir()``
or ``new_experiment(spool_dir=...)``)::

    <spool>/<tag>.<random>/
        destination.json     where the data goes: prefix, endpoint, tag (and the tag it was
                             recorded under, after ``lab-workbook sync --retag``)
        lock                 flock()ed by the live writer or a running sync, which writes
                             ``writer <pid>`` / ``sync <pid>`` in it; sync skips locked folders
        taken                the run's tag is taken in the store by another run: only
                             ``sync --retag`` or ``sync --discard`` deal with this folder
        queue/<seq>.json     one manifest per pending operation (put, delete or series), in order
        data/<n>.<ext>       the bytes of pending puts (saved artifacts, run records)
        series/<n>.csv       each time series' rows, which become the final CSV at close
        closed               written when the writer closed with data still unsent

A manifest is written (atomically) only after its data file is complete, and
removed before its data file, so a crash never leaves a manifest pointing at half
a file. Operations are idempotent (puts of the same bytes, deletes), so sending
one twice after a crash is harmless.

A *series* manifest is written when a time series is made and names its
``series/<n>.csv``: only ``sync()`` acts on it (the live writer uploads a
series' rows as segments), sending the rows that reached the disk as the final
CSV if the writer died. At close it is replaced by the put of the final CSV
(same data file).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
import itertools
import json
import os
from pathlib import Path
import secrets
import shutil
import tempfile
from typing import TYPE_CHECKING, Literal, Protocol

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-process lock, sync trusts the 'closed' marker
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from lab_workbook_core import Storage

__all__ = ["Destination", "Entry", "ExperimentSpool", "Job", "Op", "experiment_spools"]

_FORMAT = "lab-workbook/spool"
_PERSISTED = ("seq", "op", "key", "group", "data", "keys", "barrier", "size")


@dataclass(frozen=True)
class Destination:
    """Where an experiment's objects go, enough for another process to open the store."""

    prefix: str
    endpoint_url: str | None
    tag: str
    # the S3 settings the run was recorded with, so `sync` talks to the same store the same way
    region: str | None = None
    addressing_style: str | None = None
    checksum_mode: str | None = None
    # the tag the run was recorded under, when `sync --retag` gave it ``tag`` instead: keys and
    # run records in this folder name this one, and are rewritten as they are sent
    retagged_from: str | None = None


#: What an entry does: ``put``, ``delete``, ``claim`` (the first run record of a run started
#: offline), ``series`` (a series' rows, for ``sync()`` only), or ``segment`` (a job in memory).
Op = Literal["put", "delete", "claim", "series", "segment"]


class Job(Protocol):
    """An upload that carries what it sends and is never persisted (a series' segment): the uploader runs it."""

    def upload(self, storage: Storage) -> int:
        """Send it; the bytes sent (0: nothing was left to send, no object was written)."""
        ...


@dataclass
class Entry:
    """One pending operation.

    Attributes:
        seq: position in the experiment's queue; operations run in this order.
        op: what it does (see :data:`Op`).
        key: the key, relative to the prefix, that a put writes.
        group: operations of one group run one at a time, in order (an artifact's
            key, a series, the run record).
        data: the put's bytes, as a path relative to the experiment's spool folder.
        keys: what a delete removes.
        barrier: wait for every earlier operation (the final run record).
        size: bytes a put sends.
        not_before: rate limit of a series' segments.
        body: a put's bytes kept in memory instead of ``data`` (the run record, when the spool's disk fails).
        job: for an upload that is not a put from the spool: what sends it.
    """

    seq: int
    op: Op
    key: str = ""
    group: str = ""
    data: str | None = None
    keys: list[str] = field(default_factory=list)
    barrier: bool = False
    size: int = 0
    not_before: float = 0.0  # monotonic time before which it may not start (in memory only)
    body: bytes | None = field(default=None, repr=False, compare=False)
    job: Job | None = field(default=None, repr=False, compare=False)

    @property
    def persisted(self) -> bool:
        """Whether its manifest is in the spool (so ``sync()`` can send it if this process cannot)."""
        return self.job is None and self.body is None


class ExperimentSpool:
    """One experiment's folder in the spool."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock_fd: int | None = None
        self._counter = itertools.count(1)

    @classmethod
    def create(cls, root: Path, destination: Destination) -> ExperimentSpool:
        """A new folder for a live experiment, locked by this process."""
        path = Path(root) / f"{destination.tag}.{secrets.token_hex(4)}"
        for sub in ("queue", "data", "series"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        spool = cls(path)
        spool.try_lock()
        _write_atomic(path / "destination.json", json.dumps({"format": _FORMAT, **asdict(destination)}).encode())
        return spool

    def destination(self) -> Destination:
        """Where this folder's data goes."""
        raw = json.loads((self.path / "destination.json").read_text(encoding="utf-8"))
        return Destination(
            prefix=raw["prefix"],
            endpoint_url=raw.get("endpoint_url"),
            tag=raw["tag"],
            region=raw.get("region"),
            addressing_style=raw.get("addressing_style"),
            checksum_mode=raw.get("checksum_mode"),
            retagged_from=raw.get("retagged_from"),
        )

    def set_destination(self, destination: Destination) -> None:
        """Replace where this folder's data goes (atomically: ``sync --retag``)."""
        _write_atomic(self.path / "destination.json", json.dumps({"format": _FORMAT, **asdict(destination)}).encode())

    def new_data_path(self, suffix: str, folder: str = "data") -> Path:
        """A fresh file name for the bytes of a pending put."""
        return self.path / folder / f"{os.getpid()}-{next(self._counter):08d}{suffix}"

    def relative(self, path: Path) -> str:
        """``path`` relative to this folder, as a manifest stores it."""
        return Path(path).relative_to(self.path).as_posix()

    def persist(self, entry: Entry) -> None:
        """Record a pending operation so that ``sync()`` can send it if this process cannot."""
        record = {name: getattr(entry, name) for name in _PERSISTED}
        _write_atomic(self._manifest(entry.seq), json.dumps(record).encode())

    def forget(self, entry: Entry, *, keep_data: bool = False) -> None:
        """Drop a done (or superseded) operation: its manifest first, then its data (unless ``keep_data``)."""
        self._manifest(entry.seq).unlink(missing_ok=True)
        if entry.data and not keep_data:
            (self.path / entry.data).unlink(missing_ok=True)

    def entries(self) -> list[Entry]:
        """The persisted pending operations, in order."""
        found = []
        for manifest in sorted((self.path / "queue").glob("*.json")):
            try:
                raw = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # a manifest is written atomically: an unreadable one is not ours
            found.append(Entry(**{k: raw[k] for k in _PERSISTED if k in raw}))
        return found

    def _manifest(self, seq: int) -> Path:
        return self.path / "queue" / f"{seq:012d}.json"

    def try_lock(self, holder: str = "writer") -> bool:
        """Take the folder's lock; False if another process holds it.

        Args:
            holder: who takes it (``writer`` or ``sync``), written in the lock file with the pid,
                so that a process refused the lock can say who has it (:meth:`lock_holder`).
        """
        if fcntl is None or self._lock_fd is not None:
            return True
        fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{holder} {os.getpid()}\n".encode(), 0)
        except OSError:  # a full disk: the lock holds all the same, only its holder is not named
            pass
        return True

    def lock_holder(self) -> tuple[str, int] | None:
        """``("writer" | "sync", pid)`` of the process that last took the lock, if it said."""
        try:
            kind, _, pid = (self.path / "lock").read_text(encoding="utf-8").strip().partition(" ")
            return kind, int(pid)
        except (OSError, ValueError):
            return None

    def mark_taken(self, reason: str) -> None:
        """Note that the run's tag is taken in the store: a plain ``sync`` must never send this folder."""
        try:
            _write_atomic(self.path / "taken", reason.encode("utf-8", "backslashreplace"))
        except OSError:  # the folder is gone, or its disk fails: sync() finds out from the claim
            pass

    def taken(self) -> str | None:
        """Why the run's tag is taken in the store (:meth:`mark_taken`), or None."""
        try:
            return (self.path / "taken").read_text(encoding="utf-8")
        except OSError:
            return None

    def clear_taken(self) -> None:
        """The run has a tag of its own again (``sync --retag``)."""
        (self.path / "taken").unlink(missing_ok=True)

    def unlock(self) -> None:
        """Release the lock (closing the descriptor releases the flock)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def mark_closed(self) -> None:
        """Note that the writer closed: whatever is left is for ``sync()``."""
        try:
            (self.path / "closed").touch()
        except OSError:  # the folder is gone, or its disk fails: the manifests are what sync() uses
            pass

    def remove(self) -> None:
        """Delete the folder (everything in it was sent)."""
        self.unlock()
        shutil.rmtree(self.path, ignore_errors=True)


def experiment_spools(root: Path) -> Iterator[ExperimentSpool]:
    """Every experiment folder under a spool directory, oldest tag first."""
    if not Path(root).is_dir():
        return
    for path in sorted(Path(root).iterdir()):
        if path.is_dir() and (path / "destination.json").is_file():
            yield ExperimentSpool(path)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
