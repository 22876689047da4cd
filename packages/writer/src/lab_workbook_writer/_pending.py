"""Sending what writers left in the spool: ``sync()`` (the CLI's ``lab-workbook sync``).

A writer that closed (or died) with data unsent leaves its spool folder behind,
with one manifest per pending put or delete. ``sync`` replays them in order,
skipping folders whose writer is still alive (it holds their lock) and puts
superseded by a later put of the same key. It is safe to run twice, or after a
crash half-way: every operation is idempotent, and a manifest is removed only
after its operation succeeded. A folder is deleted only once every manifest in
it was sent.

A writer that died (SIGKILL, power loss) leaves a *series* manifest for each
time series: its rows that reached the disk are sent as the final CSV (a torn
last row, cut by the kill, is left out) and its segments in the store are then
deleted, exactly as a close would have done. The run record is left as the
writer last sent it: readers call the run ``crashed`` once its heartbeat is stale.

A run whose tag turned out to be taken in the store by another run (it started
while the store was unreachable, and its claim failed) is never sent by ``sync``:
that would overwrite the other run. It is *stranded*: ``sync`` reports it, and
:func:`~lab_workbook_writer._stranded.retag` sends it under a new tag, or
:func:`~lab_workbook_writer._stranded.discard` deletes it, as the user chooses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lab_workbook_core import (
    AlreadyExists,
    Config,
    InvalidNameError,
    LabWorkbookError,
    ObjectNotFound,
    Storage,
    claim_tag,
    open_storage,
    parse_prefix,
    write_atomic,
)
from lab_workbook_core import spool_dir as default_spool_dir
from lab_workbook_core.keys import artifact_key, experiment_prefix, run_record_key, segments_prefix
from lab_workbook_core.series_csv import merge

from ._runrecord import retagged_record
from ._spool import Destination, Entry, ExperimentSpool, experiment_spools

__all__ = [
    "PendingUpload",
    "SpooledRun",
    "SyncReport",
    "complete_series",
    "pending_uploads",
    "spooled_run",
    "spools_for",
    "sync",
    "sync_spool",
]


@dataclass(frozen=True)
class PendingUpload:
    """One object waiting in the spool.

    Attributes:
        prefix: the store it goes to (``s3://bucket/experiments/`` or ``file:///...``).
        key: its key under the prefix (``<tag>/<artifact>``).
        size: bytes to send.
        tag: the experiment it belongs to.
    """

    prefix: str
    key: str
    size: int
    tag: str


@dataclass(frozen=True)
class SpooledRun:
    """One run's folder in the spool: a run stranded there, or one ``discard()`` deletes.

    Attributes:
        tag: its tag.
        prefix: the store it is bound for.
        spool: its spool folder.
        uploads: operations waiting in it.
        size: their bytes.
        reason: why it cannot be sent under its tag (another run has the tag in the store,
            which stays intact); ``None`` for a run that is not stranded.
    """

    tag: str
    prefix: str
    spool: Path
    uploads: int
    size: int
    reason: str | None


@dataclass
class SyncReport:
    """What :func:`sync` did.

    Attributes:
        sent: operations completed (objects uploaded, deletions done).
        bytes_sent: bytes uploaded.
        failed: one message per experiment that could not be completed (it stays spooled).
        remaining: operations still in the spool (failed, stranded, or held by another process).
        running: of those, operations of runs whose writer is still going (it sends them).
        syncing: of those, operations another ``sync`` is sending right now.
        stranded: runs whose tag is taken in the store by another run: they wait for
            ``retag()`` or ``discard()``, which ``sync`` never chooses for the user.
        retagged: ``(old tag, new tag)`` of each run :func:`~lab_workbook_writer._stranded.retag` moved.
    """

    sent: int = 0
    bytes_sent: int = 0
    failed: list[str] = field(default_factory=list)
    remaining: int = 0
    running: int = 0
    syncing: int = 0
    stranded: list[SpooledRun] = field(default_factory=list)
    retagged: list[tuple[str, str]] = field(default_factory=list)


def _root(spool_dir: Path | None) -> Path:
    return Path(spool_dir).expanduser() if spool_dir is not None else default_spool_dir()


def _current(entries: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """``(to send, superseded)``: of several puts to one key, only the last is sent.

    A series manifest followed by the put of its final CSV (the writer closed, then
    died before removing it) is superseded by that put, which sends the same file.
    """
    last = {e.key: e.seq for e in entries if e.op in ("put", "series")}
    superseded = [e for e in entries if e.op in ("put", "series") and last[e.key] != e.seq]
    gone = {e.seq for e in superseded}
    return [e for e in entries if e.seq not in gone], superseded


def _for_store(destination_prefix: str, prefix: str | None) -> bool:
    """True when ``prefix`` is None (every store) or names the same store as the spool's destination."""
    if prefix is None:
        return True
    return parse_prefix(destination_prefix, warn=False).url == parse_prefix(prefix, warn=False).url


def spools_for(spool_dir: Path | None, prefix: str | None) -> list[ExperimentSpool]:
    """The experiment spools to consider: all of them, or those bound for ``prefix``'s store."""
    spools = experiment_spools(_root(spool_dir))
    if prefix is None:
        return list(spools)
    chosen = []
    for spool in spools:
        try:
            if _for_store(spool.destination().prefix, prefix):
                chosen.append(spool)
        except (OSError, ValueError, KeyError):
            continue  # unreadable destination: only a sync of every store reports it
    return chosen


def pending_uploads(spool_dir: Path | None = None, *, prefix: str | None = None) -> list[PendingUpload]:
    """The objects waiting in the spool (``spool_dir`` or the default), in the order they will be sent.

    Args:
        spool_dir: the spool to look in (default ``LAB_WORKBOOK_SPOOL_DIR`` or the user data dir).
        prefix: only uploads bound for this store (default: every store).
    """
    found = []
    for spool in spools_for(spool_dir, prefix):
        try:
            destination = spool.destination()
            keep, _ = _current(spool.entries())
            found += [
                PendingUpload(
                    destination.prefix,
                    sent_key(destination, e.key),
                    e.size or _size(spool.path / (e.data or "")),
                    destination.tag,
                )
                for e in keep
                if e.op in ("put", "claim", "series")
            ]
        except (OSError, ValueError, KeyError):
            continue
    return found


def sent_key(destination: Destination, key: str) -> str:
    """The key an operation of a spool writes: ``key`` itself, or its new tag's after ``sync --retag``.

    Every key of a run starts with core's :func:`~lab_workbook_core.keys.experiment_prefix`; what
    follows it is the same under the new tag.
    """
    old = destination.retagged_from
    if old is None:
        return key
    if key == run_record_key(old):
        return run_record_key(destination.tag)
    head = experiment_prefix(old)
    if not key.startswith(head):
        raise InvalidNameError(f"key {key!r} in the spool of run {old} is not one of that run's keys")
    return artifact_key(destination.tag, key[len(head) :])


def spooled_run(spool: ExperimentSpool, reason: str | None) -> SpooledRun:
    """What a spool folder holds, as :attr:`SyncReport.stranded` and ``discard()`` list it."""
    destination = spool.destination()
    keep, _ = _current(spool.entries())
    return SpooledRun(
        destination.tag,
        destination.prefix,
        spool.path,
        len(keep),
        sum(e.size or _size(spool.path / (e.data or "")) for e in keep),
        reason,
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def sync(
    spool_dir: Path | None = None,
    *,
    prefix: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Send everything writers left in the spool; safe to run again (or concurrently with a writer).

    Args:
        spool_dir: the spool to send from (default ``LAB_WORKBOOK_SPOOL_DIR`` or the user data dir).
        prefix: only send what is bound for this store (default: every store).
        progress: called with the number of bytes of each object just sent.

    Returns:
        What was sent and what is left; an experiment whose store fails keeps its data for next time.
    """
    report = SyncReport()
    for spool in spools_for(spool_dir, prefix):
        sync_spool(spool, report, progress)
    return report


def sync_spool(spool: ExperimentSpool, report: SyncReport, progress: Callable[[int], None] | None = None) -> None:
    """Send one experiment's spool folder, unless another process holds it or its run is stranded."""
    entries = spool.entries()
    if not spool.try_lock("sync"):  # its writer is alive and sending it itself, or another sync is
        report.remaining += len(entries)
        holder = spool.lock_holder()
        if holder is not None and holder[0] == "sync":
            report.syncing += len(entries)
        else:
            report.running += len(entries)
        return
    try:
        taken = spool.taken()
        if taken is not None:
            report.stranded.append(spooled_run(spool, taken))
            report.remaining += len(_current(entries)[0])
            return
        _sync_one(spool, entries, report, progress)
    finally:
        spool.unlock()


def _sync_one(
    spool: ExperimentSpool, entries: list[Entry], report: SyncReport, progress: Callable[[int], None] | None
) -> None:
    keep, superseded = _current(entries)
    for entry in superseded:
        spool.forget(entry, keep_data=entry.op == "series")  # its file is the later put's
    try:
        destination = spool.destination()
        storage = open_storage(
            Config(
                prefix=destination.prefix,
                endpoint_url=destination.endpoint_url,
                region=destination.region,
                addressing_style=destination.addressing_style,
                checksum_mode=destination.checksum_mode,
            )
        )
    except (OSError, ValueError, KeyError, LabWorkbookError) as err:
        report.failed.append(f"{spool.path}: cannot open its store: {err}")
        report.remaining += len(keep)
        return
    for index, entry in enumerate(keep):
        try:
            sent = _send(spool, destination, storage, entry)
        except (OSError, LabWorkbookError) as err:  # keep order: stop this experiment at its first failure
            report.remaining += len(keep) - index
            if isinstance(err, AlreadyExists) and entry.op == "claim":  # never overwrite the other run
                reason = (
                    f"it started while {storage.location} was unreachable, and another run claimed tag "
                    f"{destination.tag} meanwhile; nothing of this run was sent"
                    if destination.retagged_from is None
                    else f"its new tag {destination.tag} is taken in {storage.location} too; nothing was sent"
                )
                spool.mark_taken(reason)
                report.stranded.append(spooled_run(spool, reason))
                return
            report.failed.append(f"{destination.tag}: {entry.key or 'delete'} to {destination.prefix}: {err}")
            return
        spool.forget(entry)
        report.sent += 1
        report.bytes_sent += sent
        if progress is not None:
            progress(sent)
    spool.remove()  # everything it recorded is in the store


def _send(spool: ExperimentSpool, destination: Destination, storage: Storage, entry: Entry) -> int:
    if entry.op == "delete":
        if destination.retagged_from is None:  # after a retag, no segment of the run is under its new tag
            storage.delete(entry.keys)
        return 0
    path = spool.path / (entry.data or "")
    if not path.is_file():
        return 0  # the data vanished: nothing can be sent for it
    key = sent_key(destination, entry.key)
    if entry.op == "claim":  # a run started offline (or retagged): its tag must still be free
        body = _record_body(destination, path)
        _claim(storage, destination.tag, body)
        return len(body)
    if destination.retagged_from is not None and key == run_record_key(destination.tag):
        body = _record_body(destination, path)
        storage.put_bytes(key, body)
        return len(body)
    if entry.op == "series":
        return _send_series(storage, key, path)
    storage.put_file(key, path)
    return path.stat().st_size


def _record_body(destination: Destination, path: Path) -> bytes:
    """A spooled run record as it is sent: naming the run's new tag after ``sync --retag``."""
    body = path.read_bytes()
    return body if destination.retagged_from is None else retagged_record(body, destination.tag)


def _claim(storage: Storage, tag: str, body: bytes) -> None:
    """Claim ``tag`` with ``body``; a claim this spool already made (a sync cut short after it) counts."""
    try:
        claim_tag(storage, lambda _tag: body, tag)
    except AlreadyExists:
        try:
            if storage.get_bytes(run_record_key(tag)) == body:
                return
        except ObjectNotFound:
            pass
        raise


def _send_series(storage: Storage, key: str, path: Path) -> int:
    """The rows of a series whose writer died, as its final CSV at ``key``; then its segments are deleted."""
    complete_series(path)
    storage.put_file(key, path)
    tag, _, series_file = key.partition("/")
    segments = storage.list(segments_prefix(tag, series_file), delimiter=None).objects
    if segments:
        storage.delete([o.key for o in segments])
    return path.stat().st_size


def complete_series(path: Path) -> None:
    """Make the local file of a series whose writer died its final CSV, as the writer's close would have.

    A kill can tear the last write (its torn end is dropped), and a series whose fields grew
    holds one header per part (merged under the union of their fields): both are core's
    :func:`~lab_workbook_core.series_csv.merge`, which the writer's close and readers use too.
    The file is replaced (atomically, durably) only when that changes it.
    """
    data = path.read_bytes()
    merged = merge([data], where=str(path))
    if merged != data:
        write_atomic(path, merged)
