"""``new_experiment(resume=TAG | "auto")``: one more attempt of a run whose process died or was stopped.

A resume reads the run record (one GET), refuses a ``finished`` run (it never changes:
fork it) and a ``running`` one whose heartbeat is fresh (another process writes it,
unless ``force=True``), sends what an earlier attempt left in this machine's spool for
the tag (as ``lab-workbook sync`` would), then claims attempt ``n + 1`` with a
create-only object (``<tag>/.lab-workbook/attempt-NNNN.json``, core
:func:`~lab_workbook_core.tags.claim_key`): of two copies of one job resuming at once,
exactly one continues, the other gets :class:`~lab_workbook_core.AttemptTaken` and
writes nothing. The new attempt's record lists every attempt (``docs/format.md``,
*Attempts*); ``started`` stays the first attempt's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import socket
from typing import Any

from lab_workbook_core import (
    AlreadyExists,
    AttemptTaken,
    CorruptArtifactError,
    ExperimentNotFound,
    InvalidValueError,
    ObjectNotFound,
    RunBusy,
    RunFinished,
    Storage,
)
from lab_workbook_core.keys import artifact_key, attempt_claim_key, parse_segment_key, run_record_key, segments_prefix
from lab_workbook_core.record import CRASHED, FINISHED, MIN_STALE_SECONDS, RUNNING, format_time
from lab_workbook_core.record import RunRecord as StoredRecord
from lab_workbook_core.series_csv import merge
from lab_workbook_core.summary import thawed_json
from lab_workbook_core.tags import claim_key, validate_tag
from lab_workbook_core.times import parse_time

from ._notices import warn
from ._pending import SyncReport, spools_for, sync_spool

__all__ = [
    "AUTO",
    "Resume",
    "StoredSeries",
    "claim_attempt",
    "resume_tag",
    "resumed_fields",
    "start_resume",
    "stored_series",
]

#: ``resume="auto"``: continue the run of ``tag=`` (or ``LAB_WORKBOOK_TAG``) if it exists, else start it.
AUTO = "auto"
_TAG_VARIABLE = "LAB_WORKBOOK_TAG"


@dataclass(frozen=True)
class Resume:
    """A run to continue: its tag, its record as stored, and the number of the attempt to claim."""

    tag: str
    previous: StoredRecord
    attempt: int


def resume_tag(resume: str, tag: str | None) -> str:
    """The tag ``resume=`` names: its own, or for ``"auto"`` ``tag=`` or ``LAB_WORKBOOK_TAG``.

    Raises:
        InvalidValueError: ``"auto"`` without a tag, or ``tag=`` that disagrees with ``resume=TAG``.
    """
    if not isinstance(resume, str) or not resume:
        raise InvalidValueError(f"resume must be a run's tag or 'auto', got {resume!r}")
    if resume == AUTO:
        chosen = tag if tag is not None else os.environ.get(_TAG_VARIABLE) or None
        if chosen is None:
            raise InvalidValueError(
                "resume='auto' continues the run of a tag you choose: pass tag= (say "
                "tag=f\"{job_name}-{os.environ['SLURM_JOB_ID']}\") or set LAB_WORKBOOK_TAG"
            )
        return validate_tag(chosen)
    if tag is not None and tag != resume:
        raise InvalidValueError(f"tag={tag!r} and resume={resume!r} name two runs: pass one of them")
    return validate_tag(resume)


def start_resume(
    storage: Storage, resume: str, tag: str, *, force: bool, spool_root: Path, prefix: str
) -> Resume | None:
    """Check that run ``tag`` may be continued and send what this machine's spool holds of it.

    Returns:
        What to continue; ``None`` for ``resume="auto"`` of a tag no run has (start it).

    Raises:
        ExperimentNotFound: ``resume=TAG`` of a run the store does not have.
        RunFinished: the run is ``finished``.
        RunBusy: the run is ``running`` with a fresh heartbeat, and ``force`` is False.
        StorageError: the store cannot be read: a resume needs it (nothing was written).
    """
    _send_spooled(tag, spool_root, prefix)
    try:
        data = storage.get_bytes(run_record_key(tag))
    except ObjectNotFound:
        if resume == AUTO:
            return None
        raise ExperimentNotFound(
            f"cannot resume run {tag}: {storage.location.url} has no run {tag} (no run record); check the tag "
            "(lab-workbook list shows the runs), or pass resume='auto' with tag= to start it when it is new"
        ) from None
    previous = StoredRecord.parse(data, tag)
    if previous.status == FINISHED:
        raise RunFinished(
            f"run {tag} is finished, and a finished run never changes: start a new run that continues it with "
            f"new_experiment(fork={tag!r}, step=N) (N: the step of the checkpoint you start from)"
        )
    if previous.status == RUNNING and _alive_here(previous):
        raise RunBusy(
            f"run {tag} is running: its writer, pid {previous.pid} on this machine ({previous.host}), is alive; "
            "stop it first, then resume (force=True is for a writer known gone, and this one is not)"
        )
    if previous.status == RUNNING and not previous.is_stale() and not force and not _gone(previous):
        raise RunBusy(
            f"run {tag} is running: another process is writing it (host {previous.host}, pid {previous.pid}, "
            f"last heartbeat {previous.heartbeat or previous.started}); if that process is gone, pass force=True "
            "to resume it now (safe once its node was reclaimed or its job cancelled)"
        )
    listed = _attempts(previous)
    return Resume(tag, previous, max(int(entry.get("attempt") or place) for place, entry in enumerate(listed, 1)) + 1)


def _alive_here(record: StoredRecord) -> bool:
    """Whether the record's process runs on this machine and is alive (another process, not this one)."""
    if record.host != socket.gethostname() or record.pid is None or record.pid == os.getpid():
        return False
    return not _pid_gone(record.pid)


def _gone(record: StoredRecord) -> bool:
    """Whether the record's process is known gone: it ran on this machine, and no process has its pid now.

    A job requeued on the node it ran on need not wait for the heartbeat to go stale. (A pid
    reused since by another process makes this say "alive": the heartbeat's rule then decides.)
    """
    if record.host != socket.gethostname() or record.pid is None:
        return False
    return _pid_gone(record.pid)


def _pid_gone(pid: int) -> bool:
    """Whether no process of this machine has ``pid`` (this process's own is never gone)."""
    if pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: a process of another user has it
        return False
    return False


def _send_spooled(tag: str, root: Path, prefix: str) -> None:
    """Send the spool folders an earlier attempt on this machine left for ``tag`` (``sync`` of that run)."""
    report = SyncReport()
    for spool in spools_for(root, prefix):
        try:
            destination = spool.destination()
        except (OSError, ValueError, KeyError):
            continue
        if destination.tag == tag:
            sync_spool(spool, report)
    unsent = report.remaining - report.running - report.syncing  # a live writer's are its own to send
    if unsent > 0:
        warn(
            f"{unsent} object(s) of run {tag} left in the spool by an earlier attempt could not be sent yet "
            f"({'; '.join(report.failed) or 'see lab-workbook sync --dry-run'}); `lab-workbook sync` sends them"
        )


def _attempts(record: StoredRecord) -> list[dict[str, Any]]:
    """The record's attempts as plain objects; the record's own fields as attempt 1 when it lists none."""
    if record.attempts:
        return [dict(thawed_json(entry)) for entry in record.attempts]
    return [
        {
            "attempt": 1,
            "started": record.started,
            "ended": record.ended,
            "host": record.host,
            "pid": record.pid,
            "status": record.status,
            "error": dict(record.error) if record.error is not None else None,
        }
    ]


def resumed_fields(resume: Resume) -> dict[str, Any]:
    """The fields a new attempt's record takes from the run's: ``attempts``, ``started`` and what the run has.

    What the run has: its ``description`` (unless the new attempt gives one), ``parent`` and
    ``artifacts`` (saved by earlier attempts, still stored).

    An earlier attempt still listed ``running`` died without saying so: it is recorded
    ``crashed``, ended at its last heartbeat (the record's, for the last one).
    """
    previous = resume.previous
    attempts = _attempts(previous)
    last = attempts[-1]
    if last.get("status") in (RUNNING, None):
        last["status"] = CRASHED
        last["ended"] = previous.heartbeat or previous.started
    else:
        last["status"] = previous.status
        last["ended"] = last.get("ended") or previous.ended or previous.heartbeat
        if previous.error is not None and last.get("error") is None:
            last["error"] = dict(previous.error)
    attempts.append(
        {
            "attempt": resume.attempt,
            "started": format_time(),
            "ended": None,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "status": RUNNING,
            "error": None,
        }
    )
    fields: dict[str, Any] = {"attempts": attempts, "started": previous.started}
    for name in ("description", "parent", "artifacts"):  # the run's, whichever attempt stored them
        if getattr(previous, name):
            fields[name] = thawed_json(getattr(previous, name))
    return fields


def claim_attempt(storage: Storage, resume: Resume, nonce: str) -> Resume:
    """Claim attempt ``resume.attempt`` of the run create-only; the attempt claimed.

    A claim whose process died before it wrote the run record is left as it is, and the next
    number is claimed instead (the run's attempts then skip a number). Died is: it ran on this
    machine and its pid is gone, or it is older than :data:`~lab_workbook_core.record.MIN_STALE_SECONDS`
    and the run record still does not carry its nonce (a live claimer writes it within seconds).
    ``force=True`` does not bypass a claim: it is what keeps two forced copies apart.

    Raises:
        AttemptTaken: another process claimed it first (it continues the run; this one writes nothing).
    """
    while True:
        body = {
            "format": "lab-workbook/attempt",
            "attempt": resume.attempt,
            "started": format_time(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "nonce": nonce,
        }
        data = (json.dumps(body, indent=2) + "\n").encode("utf-8")
        key = attempt_claim_key(resume.tag, resume.attempt)
        try:
            claim_key(storage, key, data, taken=AttemptTaken, what="the attempt claim")
        except AttemptTaken as err:
            raise _taken(resume, str(err)) from err
        except AlreadyExists as err:
            held = _held(storage, key)
            if not _claimer_gone(storage, resume.tag, held):
                raise _taken(resume, _holder(held) or str(err)) from err
            resume = Resume(resume.tag, resume.previous, resume.attempt + 1)
            continue
        return resume


def _taken(resume: Resume, holder: str) -> AttemptTaken:
    return AttemptTaken(
        f"attempt {resume.attempt} of run {resume.tag} was claimed by another process first ({holder}): it continues "
        "the run, and this one wrote nothing. Two copies of one job were resumed at once; stop this one (if "
        "that process is gone, force=True resumes all the same)"
    )


def _held(storage: Storage, key: str) -> dict[str, Any]:
    """The attempt claim stored at ``key`` (``{}`` when it cannot be read)."""
    try:
        held = json.loads(storage.get_bytes(key))
    except (ObjectNotFound, ValueError):
        return {}
    return held if isinstance(held, dict) else {}


def _holder(held: dict[str, Any]) -> str:
    """``host gpu-7, pid 42, started ...`` of an attempt claim, as far as it says."""
    facts = [f"{name} {held[name]}" for name in ("host", "pid", "started") if isinstance(held.get(name), str | int)]
    return ", ".join(facts)


def _claimer_gone(storage: Storage, tag: str, held: dict[str, Any]) -> bool:
    """Whether the attempt claim ``held`` is of a process that died before it wrote the run record."""
    if held.get("host") == socket.gethostname() and isinstance(held.get("pid"), int) and _pid_gone(held["pid"]):
        return True
    started = parse_time(held.get("started"))
    if started is None or datetime.now(UTC) - started < timedelta(seconds=MIN_STALE_SECONDS):
        return False
    try:
        return StoredRecord.parse(storage.get_bytes(run_record_key(tag)), tag).nonce != held.get("nonce")
    except (ObjectNotFound, CorruptArtifactError):
        return False


@dataclass(frozen=True)
class StoredSeries:
    """What earlier attempts stored of one series, for the attempt that continues it.

    Attributes:
        rows: the stored rows as one CSV (header first): the final CSV's bytes, or the segments
            merged; ``b""`` when nothing is stored.
        sent: True when the rows are in stored segments already; False when they are the final
            CSV's, which the new attempt sends as its first segment (readers of a running run
            read the segments, and the final CSV is rewritten only at close).
        next_seq: the number of the next segment (after the highest stored).
    """

    rows: bytes
    sent: bool
    next_seq: int


def stored_series(storage: Storage, tag: str, file_name: str) -> StoredSeries:
    """Read what is stored of series ``file_name`` of run ``tag``: one LIST, then its segments or its final CSV.

    Segments, when there are any, hold every row (``docs/format.md``: a reader of a running
    run reads them), even when a final CSV is stored too: an attempt that sent the final CSV
    as its first segment and crashed left both.

    Raises:
        StorageError: the store could not be read (a resumed series needs its stored rows).
    """
    numbered = []
    for info in storage.list(segments_prefix(tag, file_name), delimiter=None).objects:
        parsed = parse_segment_key(tag, info.key)
        if parsed is not None and parsed[0] == file_name:
            numbered.append((parsed[1], info.key))
    numbered.sort()
    next_seq = numbered[-1][0] + 1 if numbered else 1
    where = f"series {file_name} of run {tag}"
    if numbered:  # the segments hold every row: a crashed attempt's, or a close that did not delete them
        return StoredSeries(merge([storage.get_bytes(key) for _, key in numbered], where), sent=True, next_seq=next_seq)
    try:  # an earlier attempt closed (or sync completed it): the final CSV holds every row
        final = storage.get_bytes(artifact_key(tag, file_name))
    except ObjectNotFound:
        return StoredSeries(b"", sent=True, next_seq=next_seq)
    return StoredSeries(merge([final], where), sent=False, next_seq=next_seq)
