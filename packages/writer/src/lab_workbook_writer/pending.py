"""Sending what writers left in the spool: ``sync()`` (the CLI's ``lab-workbook sync``).

A writer that closed (or died) with data unsent leaves its spool folder behind,
with one manifest per pending put or delete. ``sync`` replays them in order,
skipping folders whose writer is still alive (it holds their lock) and puts
superseded by a later put of the same key. It is safe to run twice, or after a
crash half-way: every operation is idempotent, and a manifest is removed only
after its operation succeeded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lab_workbook_core import AlreadyExists, Config, LabWorkbookError, Storage, claim_tag, open_storage, parse_prefix
from lab_workbook_core import spool_dir as default_spool_dir

from .spool import Entry, ExperimentSpool, experiment_spools

__all__ = ["PendingUpload", "SyncReport", "pending_uploads", "sync"]


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


@dataclass
class SyncReport:
    """What :func:`sync` did.

    Attributes:
        sent: operations completed (objects uploaded, deletions done).
        bytes_sent: bytes uploaded.
        failed: one message per experiment that could not be completed (it stays spooled).
        remaining: operations still in the spool (failed, or of writers still running).
    """

    sent: int = 0
    bytes_sent: int = 0
    failed: list[str] = field(default_factory=list)
    remaining: int = 0


def _root(spool_dir: Path | None) -> Path:
    return Path(spool_dir).expanduser() if spool_dir is not None else default_spool_dir()


def _current(entries: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """``(to send, superseded)``: of several puts to one key, only the last is sent."""
    last = {e.key: e.seq for e in entries if e.op == "put"}
    keep = [e for e in entries if e.op != "put" or last[e.key] == e.seq]
    return keep, [e for e in entries if e.op == "put" and last[e.key] != e.seq]


def _for_store(destination_prefix: str, prefix: str | None) -> bool:
    """True when ``prefix`` is None (every store) or names the same store as the spool's destination."""
    if prefix is None:
        return True
    return parse_prefix(destination_prefix, warn=False).url == parse_prefix(prefix, warn=False).url


def _spools(spool_dir: Path | None, prefix: str | None) -> list[ExperimentSpool]:
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
    for spool in _spools(spool_dir, prefix):
        try:
            destination = spool.destination()
        except (OSError, ValueError, KeyError):
            continue
        keep, _ = _current(spool.entries())
        found += [PendingUpload(destination.prefix, e.key, e.size, destination.tag) for e in keep if e.op in ("put", "claim")]
    return found


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
    for spool in _spools(spool_dir, prefix):
        entries = spool.entries()
        if not spool.try_lock():  # its writer is alive and sending it itself
            report.remaining += len(entries)
            continue
        try:
            _sync_one(spool, entries, report, progress)
        finally:
            spool.unlock()
    return report


def _sync_one(
    spool: ExperimentSpool, entries: list[Entry], report: SyncReport, progress: Callable[[int], None] | None
) -> None:
    keep, superseded = _current(entries)
    for entry in superseded:
        spool.forget(entry)
    try:
        destination = spool.destination()
        storage = open_storage(Config(
            prefix=destination.prefix, endpoint_url=destination.endpoint_url, region=destination.region,
            addressing_style=destination.addressing_style, checksum_mode=destination.checksum_mode,
        ))
    except (OSError, ValueError, KeyError, LabWorkbookError) as err:
        report.failed.append(f"{spool.path}: cannot open its store: {err}")
        report.remaining += len(keep)
        return
    for index, entry in enumerate(keep):
        try:
            sent = _send(spool, storage, entry)
        except (OSError, LabWorkbookError) as err:  # keep order: stop this experiment at its first failure
            report.failed.append(f"{destination.tag}: {entry.key or 'delete'} to {destination.prefix}: {err}")
            report.remaining += len(keep) - index
            return
        spool.forget(entry)
        report.sent += 1
        report.bytes_sent += sent
        if progress is not None:
            progress(sent)
    spool.remove()  # everything it recorded is in the store


def _send(spool: ExperimentSpool, storage: Storage, entry: Entry) -> int:
    if entry.op == "delete":
        storage.delete(entry.keys)
        return 0
    path = spool.path / (entry.data or "")
    if not path.is_file():
        return 0  # the data vanished: nothing can be sent for it
    if entry.op == "claim":  # a run started offline: its tag must still be free
        tag, body = entry.key.split("/", 1)[0], path.read_bytes()
        try:
            claim_tag(storage, lambda _tag: body, tag)
        except AlreadyExists as err:
            raise AlreadyExists(
                f"tag {tag} is already used in {storage.location} by another run (this run started while the "
                f"store was unreachable), so nothing of it was sent. Its data is kept in {spool.path}: copy what "
                "you need from its data/ and series/ folders, then delete that folder"
            ) from err
        return len(body)
    storage.put_file(entry.key, path)
    return path.stat().st_size
