"""Several processes of one run (DDP, torchrun): rank 0 starts it, the others attach by tag.

::

    wb = distributed_experiment(description="ddp")     # rank 0: new_experiment; others: attach
    log = wb.new_time_series_log("train")               # rank 0: train.csv; rank 1: rank1/train.csv
    ...
    wb.close()              # on ranks > 0 first (their data is sent), then a barrier, then rank 0

An attached process writes its artifacts under ``rank<N>/`` and never touches the run
record: only the process that started the run marks it finished (or failed). Each
artifact folder has one writer: attaching claims ``rank<N>`` with a create-only write,
so a second process attaching as the same rank is refused with the first one's name,
instead of the two silently overwriting each other's files.

A resumed run (``new_experiment(resume=...)`` on rank 0) is joined the same way: the ranks
claim their folders again for the new attempt (the claim's key names it), and their series
continue what the earlier attempt's ranks stored, as rank 0's do. A finished run is never
joined.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import socket
import time
from typing import Any

from lab_workbook_core import (
    AlreadyExists,
    ConfigError,
    ExperimentNotFound,
    ObjectNotFound,
    RunFinished,
    StorageUnavailable,
    load_config,
    open_storage,
    validate_tag,
)
from lab_workbook_core import spool_dir as default_spool_dir
from lab_workbook_core.attempts import attempt_count
from lab_workbook_core.keys import run_record_key, writer_claim_key
from lab_workbook_core.record import RUNNING, format_time
from lab_workbook_core.record import RunRecord as StoredRecord

from ._experiment import Experiment
from ._notices import warn
from ._runrecord import RunRecord
from ._spool import Destination, ExperimentSpool
from ._start import new_experiment
from ._uploader import Uploader

__all__ = ["attach_experiment", "distributed_experiment", "process_rank"]

TAG_VARIABLE = "LAB_WORKBOOK_TAG"
_PROBE_CONNECT, _PROBE_READ = 3.0, 5.0  # a retry while the store fails: one short attempt (see uploader)


def process_rank() -> int:
    """This process's global rank: ``torch.distributed`` if initialised, else ``RANK`` (torchrun), else 0."""
    import sys

    dist = sys.modules.get("torch.distributed")  # never import torch for this
    if dist is not None and dist.is_available() and dist.is_initialized():
        return int(dist.get_rank())
    try:
        return int(os.environ.get("RANK", "0"))
    except ValueError as err:
        raise ConfigError(f"RANK={os.environ['RANK']!r} is not a process rank (an integer)") from err


def attach_experiment(
    tag: str | None = None,
    prefix: str | os.PathLike[str] | None = None,
    *,
    rank: int | None = None,
    attempt: int | None = None,
    wait_seconds: float = 60.0,
    spool_dir: str | os.PathLike[str] | None = None,
    close_timeout: float = 60.0,
    max_retry_seconds: float = 30.0,
) -> Experiment:
    """Join run ``tag`` from another process: its artifacts go to ``rank<N>/`` in that run.

    Args:
        tag: the run's tag; default ``LAB_WORKBOOK_TAG``.
        prefix: where experiments live (as for :func:`new_experiment`).
        rank: this process's rank (not 0: rank 0 starts the run); default :func:`process_rank`.
        attempt: which attempt of the run rank 0 is (2 or more once resumed); default: read from
            the run record, once it says ``running`` with a fresh heartbeat.
            :func:`distributed_experiment` passes rank 0's.
        wait_seconds: how long to wait for rank 0 to have started (or resumed) the run.
        spool_dir, close_timeout, max_retry_seconds: as for :func:`new_experiment`.

    Raises:
        ConfigError: no tag given nor in ``LAB_WORKBOOK_TAG``, or rank 0 (which starts the run).
        ExperimentNotFound: no run ``tag`` appeared, or it was not running, within ``wait_seconds``.
        RunFinished: run ``tag`` is finished: it never changes (start a new run, or fork it).
        AlreadyExists: another process already writes ``rank<N>/`` of this attempt of the run
            (named in the message).
    """
    tag = tag if tag is not None else os.environ.get(TAG_VARIABLE)
    if not tag:
        raise ConfigError(
            f"attach_experiment: which run? pass tag= or set {TAG_VARIABLE} (rank 0 prints it as 'Experiment Tag:')"
        )
    validate_tag(tag)
    rank = process_rank() if rank is None else rank
    if not isinstance(rank, int) or rank < 1:
        raise ConfigError(
            f"attach_experiment: rank {rank!r}: rank 0 starts the run with new_experiment(); "
            "other ranks attach with their rank (1, 2, ...)"
        )
    config = load_config(prefix)
    storage = open_storage(config, max_attempts=2)
    namespace = f"rank{rank}"
    try:
        running = _wait_for_run(storage, tag, wait_seconds, known_attempt=attempt is not None)
        attempt = attempt if attempt is not None else attempt_count(running.to_mapping())
        _claim(storage, tag, namespace, attempt)
    except StorageUnavailable as err:
        warn(f"cannot reach {storage.location.url} to attach to run {tag} ({err}); recording locally, sent later")
        attempt = attempt if attempt is not None else 1
    root = Path(spool_dir if spool_dir is not None else default_spool_dir()).expanduser()
    spool = ExperimentSpool.create(root, Destination(storage.location.url, config.endpoint_url, tag))
    probe = open_storage(config, max_attempts=0, connect_timeout=_PROBE_CONNECT, read_timeout=_PROBE_READ)
    probe.count_requests_in(storage)  # single-attempt retries while the store fails, as new_experiment's
    uploader = Uploader(storage, spool, label=f"{tag}/{namespace}", max_backoff=max_retry_seconds, probe=probe)
    return Experiment(
        tag,
        storage=storage,
        record=RunRecord(heartbeat_interval=3600.0, description=None, git_commit=None, env_allowlist=()),
        spool=spool,
        uploader=uploader,
        heartbeat_seconds=3600.0,
        close_timeout=close_timeout,
        custom_spool=spool_dir is not None,
        namespace=namespace + "/",
        attempt=attempt,
    )


def distributed_experiment(
    prefix: str | os.PathLike[str] | None = None, description: str | None = None, **options: Any
) -> Experiment:
    """Rank 0 starts the run, every other rank attaches to it: one call for all processes.

    Under ``torch.distributed`` (initialised) rank 0 sends the tag to the others (a collective:
    every rank must call this). Otherwise the other ranks attach to ``LAB_WORKBOOK_TAG``.

    Args:
        prefix, description: as for :func:`new_experiment`.
        **options: passed to :func:`new_experiment` on rank 0 (``spool_dir`` and
            ``close_timeout`` also to :func:`attach_experiment`).
    """
    import sys

    rank = process_rank()
    dist = sys.modules.get("torch.distributed")
    collective = dist is not None and dist.is_available() and dist.is_initialized()
    experiment = new_experiment(prefix, description=description, **options) if rank == 0 else None
    tag = experiment.tag if experiment is not None else None
    attempt = experiment.attempt if experiment is not None else None
    if collective:
        from ._torch_io import broadcast_from_rank0

        tag, attempt = broadcast_from_rank0((tag, attempt))
    if experiment is not None:
        return experiment
    passed = {k: options[k] for k in ("spool_dir", "close_timeout", "max_retry_seconds") if k in options}
    return attach_experiment(tag, prefix, rank=rank, attempt=attempt, **passed)


def _wait_for_run(storage: Any, tag: str, wait_seconds: float, *, known_attempt: bool) -> StoredRecord:
    """The record of run ``tag`` once rank 0 has started or resumed it.

    With ``known_attempt`` (rank 0 said which attempt it is) the record only has to exist; else
    it must say ``running`` with a fresh heartbeat: a crashed or interrupted record is the
    earlier attempt's, and rank 0 is about to resume the run (its record names the new attempt).
    """
    deadline = time.monotonic() + wait_seconds
    record: StoredRecord | None = None
    while True:
        try:
            record = StoredRecord.parse(storage.get_bytes(run_record_key(tag)), tag)
        except ObjectNotFound:
            record = None
        if record is not None and record.is_final:
            raise RunFinished(
                f"run {tag} is finished and never changes, so no rank attaches to it: start a new run "
                "(or new_experiment(fork=...) on rank 0) and attach to that"
            )
        if record is not None and (known_attempt or (record.status == RUNNING and not record.is_stale())):
            return record
        if time.monotonic() >= deadline:
            state = "does not exist" if record is None else f"is {record.status} (not a live attempt)"
            raise ExperimentNotFound(
                f"run {tag} in {storage.location.url} {state} after {wait_seconds:g} s; rank 0 starts it with "
                "new_experiment() (or resumes it with resume=...) before other ranks attach"
            )
        time.sleep(0.2)


def _claim(storage: Any, tag: str, namespace: str, attempt: int) -> None:
    me = {"host": socket.gethostname(), "pid": os.getpid(), "since": format_time(), "attempt": attempt}
    key = writer_claim_key(tag, namespace, attempt)
    try:
        storage.put_bytes(key, json.dumps(me).encode(), if_absent=True)
    except AlreadyExists:
        try:
            first = json.loads(storage.get_bytes(key))
            who = f"pid {first.get('pid')} on {first.get('host')} since {first.get('since')}"
        except (ObjectNotFound, ValueError):
            who = "another process"
        raise AlreadyExists(
            f"{namespace}/ of run {tag} is already written by {who}; two processes never write one key: "
            f"give each process its own rank (RANK, or attach_experiment(rank=...))"
        ) from None
