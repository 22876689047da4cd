"""Starting a run: :func:`new_experiment` claims a tag in the store and returns the :class:`Experiment`.

The claim is the only wait for the store at the start, and it is short: a store
that cannot be reached does not hold training back (the run is recorded locally
and sent when the store answers). A store that *refuses* the run (credentials,
bucket, permissions) is reported at once.
"""

from __future__ import annotations

from collections.abc import Iterable
import os
from pathlib import Path

from lab_workbook_core import (
    AlreadyExists,
    AttemptTaken,
    Claim,
    InvalidValueError,
    StorageUnavailable,
    claim_run,
    load_config,
    new_tag,
    open_storage,
    validate_tag,
)
from lab_workbook_core import spool_dir as default_spool_dir

from . import _gitstate as gitstate
from ._experiment import Experiment
from ._forking import check_parent, fork_parent
from ._notices import announce_tag, warn
from ._ownership import Ownership
from ._resume import claim_attempt, resume_tag, resumed_fields, start_resume
from ._runrecord import DEFAULT_ENV_ALLOWLIST, RunRecord
from ._spool import Destination, ExperimentSpool
from ._uploader import Uploader

__all__ = ["new_experiment"]

# Bounds on every wait for the store (docs/reliability.md, "Stores"): the claim at start
# waits at most about _CONNECT_TIMEOUT + 3 * _CLAIM_TIMEOUT (a check, the write, the probe that
# must be refused); on a store without conditional writes, a settle time and one read more.
_CONNECT_TIMEOUT = 3.0
_CLAIM_TIMEOUT = 5.0
_READ_TIMEOUT = 20.0


def new_experiment(
    prefix: str | os.PathLike[str] | None = None,
    tag: str | None = None,
    description: str | None = None,
    *,
    heartbeat_seconds: float = 30.0,
    spool_dir: str | os.PathLike[str] | None = None,
    env_allowlist: Iterable[str] = DEFAULT_ENV_ALLOWLIST,
    close_timeout: float = 60.0,
    max_retry_seconds: float = 30.0,
    system_metrics: bool = False,
    system_metrics_seconds: float = 10.0,
    capture_environment: bool = True,
    fork: str | None = None,
    step: int | None = None,
    resume: str | None = None,
    force: bool = False,
) -> Experiment:
    """Start recording a run: claim a tag in the store and print ``Experiment Tag: <tag>``.

    Args:
        prefix: where experiments live (``s3://bucket/experiments/`` or a folder); default:
            ``LAB_WORKBOOK_PREFIX``, then ``~/.lab-workbook-config``, then the built-in local store.
        tag: a tag of your choosing (must be unused); default: a fresh ``YYYYMMDDHHMM-xxxxxxxxxx``.
        description: what this run is, in words; kept in the run record.
        heartbeat_seconds: how often the run record says the run is alive.
        spool_dir: where unsent data waits (default ``LAB_WORKBOOK_SPOOL_DIR`` or the user data dir).
        env_allowlist: the only environment variables recorded (names that look like secrets are refused).
        close_timeout: how long closing (also at interpreter exit) waits for the store.
        max_retry_seconds: the longest pause between retries while the store fails.
        system_metrics: log ``system.csv`` from a background thread: CPU, memory, this
            process's CPU and RSS, and per GPU utilisation, memory and temperature when
            NVML (``nvidia-ml-py``) is installed.
        system_metrics_seconds: how often ``system.csv`` gets a row.
        capture_environment: record the interpreter, packages, CUDA and GPUs as
            ``Environment.txt`` (on a background thread: the run does not wait for it).
        fork: start a *new* run that continues the run with this tag (say, from one of its
            checkpoints with another learning rate): the record names it as ``parent``, and
            ``lab-workbook show``, ``diff`` and the dashboard show it. The parent run must exist.
        step: the parent's step the fork starts from (with ``fork`` only), kept in ``parent``.
        resume: continue a run whose process died or was stopped (``crashed``, ``interrupted``,
            ``failed``): its tag, or ``"auto"`` with ``tag=`` (or ``LAB_WORKBOOK_TAG``) to continue
            that run if it exists and start it otherwise (a requeued job's one line). The run
            gets one more attempt: series continue where they were (docs/writer.md,
            "Preemption and requeue").
        force: resume a run still ``running`` with a fresh heartbeat: only when its process is
            known to be gone (its node was reclaimed, its job cancelled).

    Raises:
        ConfigError: the configuration cannot be used.
        StorageError: the store refuses the run (no credentials, no bucket, access denied): a
            setup problem is reported now, not after days of training. A store that merely
            cannot be *reached* does not raise: see below.
        AlreadyExists: ``tag`` is already used (:class:`TagTaken`: another run claimed it at the
            same moment, on a store that does not enforce create-only writes).
        ExperimentNotFound: ``fork`` names no run of the store (its run record is not there).
        InvalidValueError: ``step`` without ``fork``, or not a non-negative integer; ``resume="auto"``
            without a tag; ``resume`` with ``fork``.
        RunFinished: ``resume`` of a ``finished`` run (fork it instead).
        RunBusy: ``resume`` of a run whose heartbeat is fresh, without ``force=True``.
        AttemptTaken: another process resumed the same run at the same moment, and continues it.
        StorageUnavailable: with ``resume``, the store cannot be reached: a resume must read the
            record and claim its attempt before anything is written (retry, or start a new run).

    If the store cannot be reached at the start, the run is recorded all the same: the tag
    is made locally (the start millisecond and 7 random characters: a clash is vanishingly unlikely, though no longer
    excluded by a create-only claim), stderr says so, and everything is sent when the store
    answers again, or later by ``lab-workbook sync``.
    """
    if system_metrics and not (isinstance(system_metrics_seconds, int | float) and system_metrics_seconds > 0):
        raise InvalidValueError(
            f"system_metrics_seconds must be a number of seconds > 0, got {system_metrics_seconds!r}"
        )
    parent = fork_parent(fork, step)
    if resume is not None:
        if parent is not None:
            raise InvalidValueError("fork= starts a new run and resume= continues one: pass one of them")
        tag = resume_tag(resume, tag)
    config = load_config(prefix)
    storage = open_storage(config, max_attempts=2, connect_timeout=_CONNECT_TIMEOUT, read_timeout=_READ_TIMEOUT)
    # The claim gets one short attempt: a store that does not answer at once must not hold training back.
    claimer = open_storage(config, max_attempts=0, connect_timeout=_CONNECT_TIMEOUT, read_timeout=_CLAIM_TIMEOUT)
    if parent is not None:
        check_parent(claimer, parent["tag"])
    root = Path(spool_dir if spool_dir is not None else default_spool_dir()).expanduser()
    resuming = None
    if resume is not None and tag is not None:
        resuming = start_resume(storage, resume, tag, force=force, spool_root=root, prefix=storage.location.url)
    record = RunRecord(
        heartbeat_interval=heartbeat_seconds,
        description=description,
        git_commit=gitstate.head_commit(Path.cwd()),
        env_allowlist=env_allowlist,
        parent=parent,
    )
    claim: Claim | None = None
    try:
        if resuming is not None:
            resuming = claim_attempt(claimer, resuming, record.current.nonce or "")
            carried = resumed_fields(resuming)
            if description is not None:  # this attempt says what the run is now
                carried.pop("description", None)
            record.update(**carried)
            claimed, offline = resuming.tag, False
        else:
            claim = claim_run(claimer, lambda candidate: record.to_bytes(tag=candidate), tag)
            claimed, offline = claim.tag, False
    except AttemptTaken:
        raise
    except AlreadyExists as err:
        if resume is None:
            raise
        raise AttemptTaken(
            f"run {tag} was started by another process at the same moment ({err}): it continues the run, and "
            "this one wrote nothing. Two copies of one job were started at once; stop this one"
        ) from err
    except StorageUnavailable as err:
        if resuming is not None:  # the attempt must be claimed before anything is written
            raise
        claimed, offline = (validate_tag(tag) if tag is not None else new_tag()), True
        # The error names the key it tried, whose tag (if generated) is not the one made now: say
        # only what failed, so the message names one tag, the run's.
        where = f" (endpoint {config.endpoint_url})" if config.endpoint_url else ""
        warn(
            f"cannot reach {storage.location.url}{where} to start run {claimed} "
            f"({type(err.__cause__ or err).__name__}); recording it locally, training goes on, and it is "
            "sent when the store answers"
        )
    spool = ExperimentSpool.create(
        root,
        Destination(
            storage.location.url,
            config.endpoint_url,
            claimed,
            region=config.region,
            addressing_style=config.addressing_style,
            checksum_mode=config.checksum_mode,
        ),
    )
    ownership = None
    if claim is not None and not claim.conditional:  # racers are not excluded: check before every write
        ownership = Ownership(storage, claim)
    # While the store fails, retries are single short attempts, as the claim was: a flush() learns at
    # once that the store is still down.
    claimer.count_requests_in(storage)
    uploader = Uploader(
        storage,
        spool,
        label=claimed,
        max_backoff=max_retry_seconds,
        ownership=ownership,
        probe=claimer,
        reachable=not offline,
    )
    experiment = Experiment(
        claimed,
        storage=storage,
        record=record,
        spool=spool,
        uploader=uploader,
        heartbeat_seconds=heartbeat_seconds,
        close_timeout=close_timeout,
        custom_spool=spool_dir is not None,
        claim=offline,  # the claim did not happen: it waits in the spool, and nothing is sent before it succeeds
        capture_environment=capture_environment,
        attempt=resuming.attempt if resuming is not None else 1,
    )
    if system_metrics:
        from ._sysmetrics import SystemSampler

        experiment.on_close(SystemSampler(experiment, system_metrics_seconds).stop)
    announce_tag(claimed)
    return experiment
