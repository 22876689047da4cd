"""The way out for a run stranded in the spool: send it under a new tag, or delete it.

A run is *stranded* when its tag turned out to be taken in the store by another
run (it started while the store was unreachable, and another run claimed the tag
meanwhile): sending it would overwrite that run, so neither the writer nor
:func:`~lab_workbook_writer.sync` ever does. Only the user can choose what
becomes of it, and ``lab-workbook sync`` says how:

- :func:`retag` gives the run a new tag (the user's, or a fresh one) and sends
  everything its spool holds under it: the run record (claiming the new tag
  first, create-only, with the record of a run still going; the final record
  last), saved artifacts, and each series as its final CSV (after a crash, the
  rows that reached the disk). The rewrite is one atomic change of the spool's
  ``destination.json``; keys and records are rewritten as they are sent (core's
  key functions: every key of a run starts with its ``experiment_prefix``), so a
  retag cut short goes on, under the same new tag, at the next ``sync``.
- :func:`discard` deletes the run's spool folder.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
from datetime import datetime
from pathlib import Path

from lab_workbook_core import CorruptArtifactError, ExperimentNotFound, InvalidValueError, new_tag, validate_tag
from lab_workbook_core.keys import run_record_key
from lab_workbook_core.record import RunRecord

from ._pending import SpooledRun, SyncReport, spooled_run, spools_for, sync_spool
from ._runrecord import retagged_record
from ._spool import Entry, ExperimentSpool

__all__ = ["discard", "retag"]


def retag(
    tag: str,
    new: str | None = None,
    *,
    spool_dir: Path | None = None,
    prefix: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Send the stranded run ``tag`` from the spool under the tag ``new`` (default: a fresh one).

    Args:
        tag: the run's tag (as the writer and ``lab-workbook sync`` name it).
        new: its new tag, which must be free in the store; ``None`` makes a fresh one.
        spool_dir: the spool (default ``LAB_WORKBOOK_SPOOL_DIR`` or the user data dir).
        prefix: only a run bound for this store.
        progress: called with the number of bytes of each object just sent.

    Returns:
        What was sent; :attr:`SyncReport.retagged` has ``(tag, new tag)``. If the new tag
        is taken too, the run is in :attr:`SyncReport.stranded` again, under it.

    Raises:
        ExperimentNotFound: no spool folder holds run ``tag``.
        InvalidValueError: its folder is in use (its writer still runs, or another sync sends
            it), its run is not stranded (plain ``sync`` sends it under its own tag), or ``new``
            was given for several runs of that tag.
    """
    if new is not None:
        validate_tag(new)
    spools = _of_tag(tag, spool_dir, prefix)
    if new is not None and len(spools) > 1:
        raise InvalidValueError(
            f"{len(spools)} spool folders hold a run tagged {tag} ({', '.join(str(s.path) for s in spools)}); "
            "one tag cannot take them all: retag them without a new tag, and each gets a fresh one"
        )
    report = SyncReport()
    for spool in spools:
        if not spool.try_lock("sync"):
            raise InvalidValueError(_in_use(spool, tag))
        try:
            fresh = new if new is not None else new_tag(_started(spool))
            _rewrite(spool, tag, fresh)
            report.retagged.append((tag, fresh))
            sync_spool(spool, report, progress)
        finally:
            spool.unlock()
    return report


def discard(
    tag: str, *, spool_dir: Path | None = None, prefix: str | None = None, dry_run: bool = False
) -> list[SpooledRun]:
    """Delete the spool folders of run ``tag``: what they hold is never sent. Returns what they held.

    Args:
        tag: the run's tag.
        spool_dir: the spool (default ``LAB_WORKBOOK_SPOOL_DIR`` or the user data dir).
        prefix: only a run bound for this store.
        dry_run: delete nothing; only say what would be deleted.

    Raises:
        ExperimentNotFound: no spool folder holds run ``tag``.
        InvalidValueError: a folder is in use (its writer still runs, or a sync sends it).
    """
    spools = _of_tag(tag, spool_dir, prefix)
    found = []
    for spool in spools:
        if not spool.try_lock("sync"):
            raise InvalidValueError(_in_use(spool, tag))
        try:
            found.append(spooled_run(spool, spool.taken()))
            if not dry_run:
                spool.remove()
        finally:
            spool.unlock()
    return found


def _of_tag(tag: str, spool_dir: Path | None, prefix: str | None) -> list[ExperimentSpool]:
    """The spool folders of run ``tag`` (by its tag, or the tag a retag gave it)."""
    found = []
    for spool in spools_for(spool_dir, prefix):
        try:
            destination = spool.destination()
        except (OSError, ValueError, KeyError):
            continue
        if tag in (destination.tag, destination.retagged_from):
            found.append(spool)
    if not found:
        raise ExperimentNotFound(
            f"no run tagged {tag} waits in the spool; `lab-workbook sync --dry-run` lists what does "
            "(`--spool DIR` for another spool folder)"
        )
    return found


def _in_use(spool: ExperimentSpool, tag: str) -> str:
    holder = spool.lock_holder()
    who = "its writer, still running," if holder is None or holder[0] == "writer" else "another `lab-workbook sync`"
    pid = f" (pid {holder[1]})" if holder is not None else ""
    return f"the spool folder of run {tag}, {spool.path}, is in use by {who}{pid}; try again once it is done"


def _started(spool: ExperimentSpool) -> datetime | None:
    """When the spooled run started, from its newest spooled run record; ``None`` if none says.

    A fresh tag is made for that moment, not for now: tags sort as their runs started, and
    readers skip runs by their tag's minute (``since=``/``until=``), so a run sent days later
    under a tag of today would sort and filter as a run of today.
    """
    destination = spool.destination()
    key = run_record_key(destination.retagged_from or destination.tag)
    for entry in reversed(spool.entries()):
        if entry.key != key or not entry.data:
            continue
        try:
            started = RunRecord.parse((spool.path / entry.data).read_bytes(), destination.tag).started_at
        except (OSError, CorruptArtifactError):  # unreadable: an older record may still say
            continue
        if started is not None:
            return started
    return None


def _rewrite(spool: ExperimentSpool, tag: str, fresh: str) -> None:
    """Point a stranded spool at tag ``fresh``: one atomic write of its destination (see the module docstring)."""
    destination = spool.destination()
    entries = spool.entries()
    claims = [e for e in entries if e.op == "claim"]
    if spool.taken() is None and not claims:
        raise InvalidValueError(
            f"run {tag} in {spool.path} is not stranded: its tag is its own in {destination.prefix}, "
            "and `lab-workbook sync` sends it there"
        )
    original = destination.retagged_from or destination.tag
    if not claims:  # it had claimed its old tag: the new one is claimed with the record of a run going
        records = [e for e in entries if e.op == "put" and e.key == run_record_key(original) and e.data]
        if not records:
            raise InvalidValueError(f"run {tag} in {spool.path} has no run record to send under a new tag")
        body = retagged_record((spool.path / (records[-1].data or "")).read_bytes(), fresh, claim=True)
        path = spool.new_data_path(".run.json")
        path.write_bytes(body)
        key = run_record_key(original)
        spool.persist(Entry(0, "claim", key=key, group="run", data=spool.relative(path), size=len(body)))
    spool.set_destination(dataclasses.replace(destination, tag=fresh, retagged_from=original))
    spool.clear_taken()
