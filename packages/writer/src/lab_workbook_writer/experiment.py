"""An experiment being recorded: :func:`new_experiment` and the :class:`Experiment` it returns.

Every ``save_*`` call serialises its value into the experiment's spool folder
and queues an upload; every series row goes to a local file. Nothing here waits
for the store except :meth:`Experiment.flush` and :meth:`Experiment.close`, which
take a timeout. A ticker thread refreshes the run record's heartbeat and starts
uploads of series rows older than their ``flush_seconds``.

An experiment belongs to the process that made it (``pid``): a forked child that
leaves a ``with new_experiment(...)`` block, or exits, touches nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
import hashlib
import os
from pathlib import Path
import shutil
import threading
import time
from types import TracebackType
from typing import Any
import warnings

from lab_workbook_core import (
    ExperimentClosedError,
    InvalidNameError,
    InvalidValueError,
    SpoolError,
    Storage,
    StorageUnavailable,
    claim_tag,
    load_config,
    new_tag,
    open_storage,
    validate_name,
    validate_tag,
)
from lab_workbook_core import spool_dir as default_spool_dir
from lab_workbook_core.environment import ENVIRONMENT_ARTIFACT
from lab_workbook_core.keys import artifact_key, is_reserved, run_record_key, segment_key

from . import gitstate, lifecycle
from .encoder import ImageEncoder
from .environment import EnvironmentCapture
from .images import figure_pixels, image_ending, image_pixels, require_pillow
from .json_io import encode_json
from .limits import check_field_name, check_key
from .notices import announce_tag, warn
from .outcomes import outcome_of
from .runrecord import DEFAULT_ENV_ALLOWLIST, RunRecord, iso_utc
from .series import TimeSeriesLog
from .spool import Destination, Entry, ExperimentSpool
from .spoolfile import spool_error
from .summary import MAX_JSON_BYTES, run_summary
from .uploader import Uploader

__all__ = ["Experiment", "new_experiment"]

# Bounds on every wait for the store (docs/reliability.md, "Stores"): the claim at start
# waits at most about _CONNECT_TIMEOUT + 2 * _CLAIM_TIMEOUT (a check, then the write).
_CONNECT_TIMEOUT = 3.0
_CLAIM_TIMEOUT = 5.0
_READ_TIMEOUT = 20.0
_CLOSE_RETRY = 1.0  # while close() waits, a store that answers again is noticed within this
_CLEANUP_WAIT = 5.0  # segment cleanup after the final record: best effort, at most this long


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

    Raises:
        ConfigError: the configuration cannot be used.
        StorageError: the store refuses the run (no credentials, no bucket, access denied): a
            setup problem is reported now, not after days of training. A store that merely
            cannot be *reached* does not raise: see below.
        AlreadyExists: ``tag`` is already used.

    If the store cannot be reached at the start, the run is recorded all the same: the tag
    is made locally (the start millisecond and 7 random characters: a clash is vanishingly unlikely, though no longer
    excluded by a create-only claim), stderr says so, and everything is sent when the store
    answers again, or later by ``lab-workbook sync``.
    """
    if system_metrics and not (isinstance(system_metrics_seconds, int | float) and system_metrics_seconds > 0):
        raise InvalidValueError(f"system_metrics_seconds must be a number of seconds > 0, got {system_metrics_seconds!r}")
    config = load_config(prefix)
    storage = open_storage(config, max_attempts=2, connect_timeout=_CONNECT_TIMEOUT, read_timeout=_READ_TIMEOUT)
    # The claim gets one short attempt: a store that does not answer at once must not hold training back.
    claimer = open_storage(config, max_attempts=0, connect_timeout=_CONNECT_TIMEOUT, read_timeout=_CLAIM_TIMEOUT)
    record = RunRecord(
        heartbeat_interval=heartbeat_seconds, description=description,
        git_commit=gitstate.head_commit(Path.cwd()), env_allowlist=env_allowlist,
    )
    try:
        claimed, offline = claim_tag(claimer, lambda candidate: record.to_bytes(tag=candidate), tag), False
    except StorageUnavailable as err:
        claimed, offline = (validate_tag(tag) if tag is not None else new_tag()), True
        warn(
            f"cannot reach {storage.location.url} to start run {claimed} ({err}); recording it locally, "
            "training goes on, and it is sent when the store answers"
        )
    root = Path(spool_dir if spool_dir is not None else default_spool_dir()).expanduser()
    spool = ExperimentSpool.create(root, Destination(
        storage.location.url, config.endpoint_url, claimed, region=config.region,
        addressing_style=config.addressing_style, checksum_mode=config.checksum_mode,
    ))
    uploader = Uploader(storage, spool, label=claimed, max_backoff=max_retry_seconds)
    experiment = Experiment(
        claimed, storage=storage, record=record, spool=spool, uploader=uploader,
        heartbeat_seconds=heartbeat_seconds, close_timeout=close_timeout, custom_spool=spool_dir is not None,
    )
    if offline:  # the claim did not happen: it waits in the spool, and nothing is sent before it succeeds
        experiment._queue_record(claim=True, tag=claimed)
    if system_metrics:
        from .sysmetrics import SystemSampler

        experiment._before_close.append(SystemSampler(experiment, system_metrics_seconds).stop)
    if capture_environment:
        experiment._environment = EnvironmentCapture(experiment)
    announce_tag(claimed)
    return experiment


class Experiment:
    """One run's artifacts, made by :func:`new_experiment`.

    Attributes:
        tag: the run's tag: write it in your lab notes.
        storage: the store it writes to (``storage.requests`` counts the requests made).
    """

    def __init__(
        self, tag: str, *, storage: Storage, record: RunRecord, spool: ExperimentSpool, uploader: Uploader,
        heartbeat_seconds: float, close_timeout: float, custom_spool: bool = False, namespace: str = "",
    ) -> None:
        self.tag, self.storage, self.close_timeout = tag, storage, close_timeout
        #: ``""`` for the process that started the run; ``"rank1/"`` for one attached to it, which
        #: writes its artifacts there and leaves the run record (and closing the run) to the first.
        self.namespace = namespace
        self.pid = os.getpid()
        self._record, self._spool, self._uploader = record, spool, uploader
        self._heartbeat_seconds, self._custom_spool = heartbeat_seconds, custom_spool
        self._series: dict[str, TimeSeriesLog] = {}
        self._images: ImageEncoder | None = None  # started by the first save_image
        self._small_json: dict[str, bytes] = {}  # for the final record's summary
        #: Run once when closing starts, before the outcome is read: background writers stop
        #: (system metrics), an integration may note that training never reached its end.
        self._before_close: list[Callable[[], None]] = []
        self._series_notes: dict[str, Entry] = {}  # each series' manifest, for sync() after a crash
        self._lock = threading.Lock()  # the record's fields and the set of series
        self._closed = False
        self._lost: dict[str, int] = {}
        self._environment: EnvironmentCapture | None = None
        self._outcome: tuple[str, dict[str, str] | None] | None = None
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name=f"lab-workbook-ticker-{tag}", daemon=True)
        self._ticker.start()
        lifecycle.register(self)

    def __repr__(self) -> str:
        return f"<Experiment {self.tag} in {self.prefix}{' (closed)' if self._closed else ''}>"

    @property
    def prefix(self) -> str:
        """Where the experiment is stored (canonical form: ``s3://...`` or ``file://...``)."""
        return self.storage.location.url

    @property
    def description(self) -> str | None:
        """What the run is, as given to :func:`new_experiment`."""
        return self._record.fields["description"]

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran: the experiment refuses further writes."""
        return self._closed

    # -- saving ------------------------------------------------------------------------------

    def save_json(self, name: str, value: Any) -> None:
        """Save ``value`` as ``<name>.json`` (strict JSON: NaN or Infinity raise here, naming where)."""
        artifact = self._artifact_name(name, ".json")
        data = encode_json(value, name)
        path = self._spool.new_data_path(".json")
        with self._spooling(artifact, path):
            path.write_bytes(data)
            self._queue(artifact, path)
        with self._lock:
            if len(data) <= MAX_JSON_BYTES:
                self._small_json[artifact] = data
            else:
                self._small_json.pop(artifact, None)

    def save_torch(self, name: str, obj: Any) -> None:
        """Save a state_dict (or anything ``torch.save`` takes) as ``<name>.pt``; needs torch."""
        from .torch_io import save_torch_object

        artifact = self._artifact_name(name, ".pt")
        path = self._spool.new_data_path(".pt")
        with self._spooling(artifact, path):
            try:
                save_torch_object(obj, path)
            except BaseException as err:
                path.unlink(missing_ok=True)
                disk = _os_error_behind(err)
                if disk is not None and disk is not err:
                    raise disk from err  # torch reports a full disk as a RuntimeError
                raise
            self._queue(artifact, path)

    def save_file(self, path: str | os.PathLike[str], name: str | None = None) -> None:
        """Save a copy of a local file (taken now) as ``name``, by default the file's own name."""
        source = Path(path)
        artifact = self._artifact_name(source.name if name is None else name, "")
        copy = self._spool.new_data_path(source.suffix)
        source.stat()  # a missing source is the caller's FileNotFoundError, not the spool's
        with self._spooling(artifact, copy):
            shutil.copyfile(source, copy)
            self._queue(artifact, copy)

    def save_image(self, name: str, image: Any, step: int | None = None, *, grid: bool | int = False) -> None:
        """Save a picture as ``<name>.png``, or as ``<name>/step-<8 digits>.png`` for a ``step``; needs Pillow.

        Takes a PIL image, a numpy array or a torch tensor: ``HW``, ``HWC`` or ``CHW``, uint8 or
        float in [0, 1] (see ``docs/writer.md``). The pixels are copied now; the PNG is encoded
        and uploaded in the background.

        Args:
            name: the picture's name, or the name of a series of pictures when ``step`` is given.
            image: the picture; with ``grid``, a batch (``NCHW``, ``NHWC``, ``NHW``) or a list of pictures.
            step: the training step; each step is its own artifact, listed by ``exp.images(name)``.
            grid: tile a batch into one picture: ``True`` (about square) or a number of columns.

        Raises:
            MissingDependencyError: Pillow is not installed (``pip install 'lab-workbook-writer[images]'``).
            InvalidValueError: not a picture this understands (the message says why).
        """
        artifact = self._artifact_name(name, image_ending(step))
        require_pillow("save_image")
        self._image_encoder().submit(artifact, image_pixels(image, grid))

    def save_figure(self, name: str, figure: Any, step: int | None = None, *, dpi: float | None = None) -> None:
        """Save a matplotlib figure as a PNG, named as :meth:`save_image` names pictures.

        The figure is rendered now (matplotlib is not thread-safe; you may close it right after);
        the PNG is encoded and uploaded in the background. ``dpi`` defaults to the figure's.
        """
        artifact = self._artifact_name(name, image_ending(step))
        require_pillow("save_figure")
        self._image_encoder().submit(artifact, figure_pixels(figure, dpi))

    def _image_encoder(self) -> ImageEncoder:
        with self._lock:
            if self._images is None:
                self._images = ImageEncoder(self._save_encoded, label=self.tag)
            return self._images

    def _save_encoded(self, artifact: str, data: bytes) -> None:
        path = self._spool.new_data_path(".png")
        path.write_bytes(data)
        self._queue(artifact, path)

    def save_git_status(self, name: str = "Source", repo: str | os.PathLike[str] | None = None) -> bool:
        """Save ``<name>.git-current-commit``, ``<name>.git-patch`` and ``<name>.git-untracked``.

        Outside a git repository (or without git) this warns once and saves nothing.

        Args:
            name: the artifacts' common name.
            repo: a folder inside the repository to record; default the working directory.

        Returns:
            True if the three artifacts were saved.
        """
        for ending in (".git-current-commit", ".git-patch", ".git-untracked"):
            self._artifact_name(name, ending)
        folder = Path(repo) if repo is not None else Path.cwd()
        state = gitstate.capture(folder)
        if state is None:
            warnings.warn(
                f"save_git_status: {folder} is not inside a git repository (or git is not installed); "
                f"no {name}.git-* artifacts were saved",
                stacklevel=2,
            )
            return False
        for ending, data in ((".git-current-commit", state.commit), (".git-patch", state.patch),
                             (".git-untracked", state.untracked)):
            path = self._spool.new_data_path(ending)
            with self._spooling(name + ending, path):
                path.write_bytes(data)
                self._queue(name + ending, path)
        with self._lock:
            if self._record.fields["git_commit"] is None:
                self._record.fields["git_commit"] = gitstate.head_commit(folder)
        return True

    def new_time_series_log(
        self, name: str, fields: Sequence[str] | None = None, save_every: int = 1, *, flush_seconds: float = 5.0
    ) -> TimeSeriesLog:
        """A time series saved as ``<name>.csv``; call the result to log a row.

        Args:
            name: the series' name.
            fields: its columns in order; the first is the index readers use. ``Date`` is added.
                A row with a field not listed is an error (``add_fields`` adds columns).
                Without a list (``None``), the series takes fields as rows bring them, in the
                order first seen: for metrics whose keys change over a run.
            save_every: upload at most every this many rows (rows are never lost in between).
            flush_seconds: but never leave rows unsent for much longer than this.
        """
        file_name = self._artifact_name(name, ".csv", series=True)
        growing = fields is None
        fields = [] if fields is None else fields
        if isinstance(fields, str) or not (fields or growing) or not all(isinstance(f, str) and f for f in fields):
            raise InvalidValueError(f"series {name!r}: fields must be a non-empty list of names, got {fields!r}")
        for each in fields:
            check_field_name(each, name)
        if len(set(fields)) != len(fields) or "Date" in fields:
            raise InvalidValueError(f"series {name!r}: field names must be unique and not 'Date' (added), got {fields!r}")
        if not isinstance(save_every, int) or save_every < 1 or not flush_seconds > 0:
            raise InvalidValueError(f"series {name!r}: save_every must be an int >= 1 and flush_seconds > 0")
        with self._lock:
            if file_name in self._series:
                raise InvalidNameError(f"this experiment already has a series {name!r}; log to the one you made")
            series = TimeSeriesLog(
                self.namespace + name, list(fields), tag=self.tag, path=self._spool.new_data_path(".csv", folder="series"),
                uploader=self._uploader, save_every=save_every, flush_seconds=flush_seconds, growing=growing,
                on_spool_error=self._spool_trouble,
            )
            try:
                note = self._uploader.note(
                    "series", key=artifact_key(self.tag, file_name), group=series.group,
                    data=self._spool.relative(series.path),
                )
            except OSError as err:
                series.seal()
                raise spool_error(f"series {name!r}", series.path, err) from err
            self._series[file_name] = series
            self._series_notes[file_name] = note
        return series

    def _artifact_name(self, name: str, ending: str, *, series: bool = False) -> str:
        self._check_open()
        validate_name(name, "artifact name")
        artifact = validate_name(self.namespace + name + ending, "artifact name")
        if is_reserved(artifact) or artifact == ENVIRONMENT_ARTIFACT:
            raise InvalidNameError(f"artifact name {artifact!r} is reserved for lab-workbook's own objects; pick another")
        what = f"artifact name {artifact!r}"
        check_key(self.storage.location, artifact_key(self.tag, artifact), what)
        if series:  # its segments are stored under a longer key while the run goes
            check_key(self.storage.location, segment_key(self.tag, artifact, 1), what)
        return artifact

    @contextmanager
    def _spooling(self, artifact: str, path: Path) -> Iterator[None]:
        """Turn a failure of the spool's disk into a :class:`SpoolError` that says what to do."""
        try:
            yield
        except OSError as err:
            if isinstance(err, SpoolError) or not path.parent.is_dir():
                raise
            path.unlink(missing_ok=True)
            raise spool_error(artifact, path.parent, err) from err

    def _spool_trouble(self, message: str | None) -> None:
        """A series cannot write to the spool (``message``), or can again (None): the run record says so."""
        with self._lock:
            if self._closed:
                return
            self._record.fields["error"] = None if message is None else {"type": "SpoolError", "message": message}
        self._queue_record()

    def _check_open(self) -> None:
        if self._closed:
            raise ExperimentClosedError(
                f"experiment {self.tag} is closed; experiments are immutable once closed: "
                "start a new one with new_experiment()"
            )

    def _queue(self, artifact: str, path: Path, *, group: str | None = None) -> None:
        size, digest = _size_and_sha256(path)
        with self._lock:
            self._record.fields["artifacts"][artifact] = {"size": size, "sha256": digest}
        self._uploader.submit(
            "put", key=artifact_key(self.tag, artifact), group=group or f"artifact:{artifact}",
            data=self._spool.relative(path), size=size, supersede=True,
        )

    def _queue_record(self, *, barrier: bool = False, claim: bool = False, **changes: Any) -> None:
        """Queue the run record; from memory if the spool's disk fails (it is small, and must get out)."""
        if self.namespace:  # attached: the run record is the first process's
            return
        with self._lock:
            data = self._record.to_bytes(**changes)
        path = self._spool.new_data_path(".run.json")
        op = "claim" if claim else "put"
        options: dict[str, Any] = {"key": run_record_key(self.tag), "group": "run", "size": len(data),
                                   "supersede": True, "barrier": barrier}
        try:
            path.write_bytes(data)
            self._uploader.submit(op, data=self._spool.relative(path), **options)
        except OSError as err:
            path.unlink(missing_ok=True)
            if claim:  # the claim must be persisted for sync(): say so where the run starts
                raise spool_error("the run record", path.parent, err) from err
            self._uploader.submit(op, body=data, **options)

    # -- flushing, closing -------------------------------------------------------------------

    def flush(self, timeout: float | None = 60.0) -> bool:
        """Block until everything saved and logged so far is in the store.

        Returns:
            True when it is; False if ``timeout`` seconds passed first (the store is
            down or slow). Nothing is lost either way: the data stays in the spool
            and keeps being retried. ``timeout=None`` waits as long as it takes.
        """
        if self._closed:  # close() already waited; what is left is for `lab-workbook sync`
            return not self._uploader.unsent()
        started = time.monotonic()
        if self._images is not None and not self._images.wait(timeout):
            return False
        if timeout is not None:
            timeout = max(0.0, timeout - (time.monotonic() - started))
        for series in list(self._series.values()):
            series.request_upload(urgent=True)
        self._uploader.kick()
        return self._uploader.wait(self._uploader.last_seq(), timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Record the run as finished, send everything, and refuse further writes (idempotent).

        Args:
            timeout: how long to wait for the store (default ``close_timeout``). What is
                still unsent then stays in the spool, and stderr says to run ``lab-workbook sync``.

        Returns:
            True if everything reached the store; False if something waits in the spool, or if
            rows were lost because the spool's disk failed (then the run is recorded ``failed``,
            with the count in its ``error``, never ``finished``).
        """
        self._run_before_close()
        status, reason = self._outcome or ("finished", None)
        return self._close(status, reason, self.close_timeout if timeout is None else timeout)

    def __enter__(self) -> Experiment:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._run_before_close()
        if error is None or (isinstance(error, SystemExit) and error.code in (0, None) and self._outcome is None):
            status, reason = self._outcome or ("finished", None)
        elif self._outcome is not None:
            status, reason = self._outcome
        else:
            status, reason = outcome_of(error)
        self._close(status, reason, self.close_timeout)

    def _run_before_close(self) -> None:
        while self._before_close:
            try:
                self._before_close.pop(0)()
            except Exception as err:  # closing must go on
                warn(f"experiment {self.tag}: stopping a background task failed: {type(err).__name__}: {err}")

    def _note_outcome(self, status: str, reason: dict[str, str]) -> None:
        if self._outcome is None:
            self._outcome = (status, reason)

    def _close_at_exit(self) -> None:
        self.close()

    def _close(self, status: str, reason: dict[str, str] | None, timeout: float) -> bool:
        if os.getpid() != self.pid:  # a forked child: the run is its parent's to close
            return False
        with self._lock:
            if self._closed:
                return not self._uploader.unsent() and not self._lost
            self._closed = True
        self._run_before_close()
        self._stop.set()
        if threading.current_thread() is not self._ticker:
            self._ticker.join(5.0)  # a heartbeat queued after the final record would supersede it
        if self._images is not None:
            self._images.close()  # pictures still waiting become queued uploads before the final record
        if self._environment is not None:
            self._environment.finish(10.0)
        sealed = [(series, series.seal()) for series in self._series.values()]
        summary = self._summary()  # from the sealed local files, before their upload is queued
        cleanup = []
        for series, segments in sealed:
            self._uploader.cancel(series.group, "segment")
            try:
                self._queue(series.file_name, series.path, group=series.group)
            except OSError as err:  # no room for its manifest: sync() still sends it through the series' own
                warn(f"experiment {self.tag}: {spool_error(series.file_name, series.path, err)}")
            else:
                self._spool.forget(self._series_notes[series.file_name], keep_data=True)
            if segments:
                cleanup.append((series.group, segments))
        self._lost = {s.name: s.lost_rows for s in self._series.values() if s.lost_rows}
        if self._lost:
            status, reason = "failed", self._loss_reason()
        self._queue_record(barrier=True, status=status, ended=iso_utc(), error=reason, summary=summary)
        final = self._uploader.last_seq()
        for group, segments in cleanup:  # after the final record, so they never delay it
            self._uploader.submit("delete", keys=segments, group=group)
        self._uploader.max_backoff = min(self._uploader.max_backoff, _CLOSE_RETRY)
        self._uploader.kick()
        started = time.monotonic()
        sent = self._uploader.wait(final, timeout)
        if sent and cleanup:
            left = _CLEANUP_WAIT if timeout is None else max(0.0, min(_CLEANUP_WAIT, timeout - (time.monotonic() - started)))
            if not self._uploader.wait(self._uploader.last_seq(), left):
                dropped = [e for group, _ in cleanup for e in self._uploader.cancel(group, "delete")]
                for entry in dropped:
                    self._spool.forget(entry)
                if dropped:
                    warn(
                        f"experiment {self.tag} is recorded complete, but its series segments could not be "
                        f"deleted from {self.prefix}; they are harmless (readers use the final CSV)"
                    )
        idle = self._uploader.stop(join_timeout=1.0 if sent else 5.0)
        lifecycle.unregister(self)
        if sent and idle:
            self._spool.remove()
        elif not sent:
            self._report_unsent(timeout)
            if idle:
                self._spool.unlock()
        return sent and not self._lost

    def _loss_reason(self) -> dict[str, str]:
        lost = ", ".join(f"{count:,} of series {name!r}" for name, count in self._lost.items())
        message = (
            f"rows lost because the spool at {self._spool.path} could not be written (disk full or failing): "
            f"{lost}; every row that reached the spool was kept"
        )
        warn(f"experiment {self.tag}: {message}")
        return {"type": "SpoolError", "message": message}

    def _summary(self) -> dict[str, Any] | None:
        """What a runs table needs, for the final record (``None`` if it cannot be made: never fatal)."""
        try:
            with self._lock:
                saved = dict(self._small_json)
            return run_summary(saved, ((s.file_name, s.path, s.fields) for s in self._series.values()))
        except Exception as err:  # a summary is a convenience; closing must go on
            warn(f"experiment {self.tag}: no summary in the run record ({type(err).__name__}: {err})")
            return None

    def _report_unsent(self, timeout: float) -> None:
        unsent = [e for e in self._uploader.unsent() if e.op != "segment"]
        size = sum(e.size for e in unsent)
        self._spool.mark_closed()
        command = "lab-workbook sync"
        if self._custom_spool:
            command = f"LAB_WORKBOOK_SPOOL_DIR={self._spool.path.parent} {command}"
        warn(
            f"experiment {self.tag}: {len(unsent)} upload(s) ({size:,} bytes) did not reach {self.prefix} "
            f"within {timeout:g} s; they are kept in {self._spool.path}. Send them later with: {command}"
        )

    def _tick(self) -> None:
        next_heartbeat = time.monotonic() + self._heartbeat_seconds
        while True:
            with self._lock:
                series = list(self._series.values())
            interval = min([0.5, self._heartbeat_seconds / 2, *(s.flush_seconds / 2 for s in series)])
            if self._stop.wait(interval):
                return
            try:
                now = time.monotonic()
                for each in series:
                    each.drain()
                    if each.due(now):
                        each.request_upload()
                if now >= next_heartbeat:
                    next_heartbeat = now + self._heartbeat_seconds
                    self._queue_record()
            except Exception as err:  # the ticker must outlive any surprise; say it once
                warn(f"background bookkeeping of experiment {self.tag} failed: {type(err).__name__}: {err}")


def _os_error_behind(err: BaseException) -> OSError | None:
    """The ``OSError`` that caused ``err``, following ``__cause__``/``__context__``, if any."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _size_and_sha256(path: Path) -> tuple[int, str]:
    with open(path, "rb") as data:
        digest = hashlib.file_digest(data, "sha256")
    return path.stat().st_size, digest.hexdigest()
