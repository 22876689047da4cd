"""An experiment being recorded: the :class:`Experiment` that :func:`new_experiment` returns.

The class is the public face; the work is done by parts that share one
:class:`~lab_workbook_writer._runstate.RunState` (the record, spool, uploader, lock and
queueing). Every ``save_*`` call (:mod:`lab_workbook_writer._saving`) serialises its
value into the experiment's spool folder and queues an upload; every series row goes
to a local file. Nothing waits for the store except :meth:`Experiment.flush` and
closing (:mod:`lab_workbook_writer._closing`), which take a timeout. A ticker
thread (:mod:`lab_workbook_writer._ticker`) refreshes the run record's heartbeat
and starts uploads of series rows older than their ``flush_seconds``.

An experiment belongs to the process that made it (``pid``): a forked child that
leaves a ``with new_experiment(...)`` block, or exits, touches nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import os
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from lab_workbook_core import InvalidNameError, InvalidValueError, Storage
from lab_workbook_core.keys import artifact_key

from . import _lifecycle as lifecycle
from ._closing import Closing
from ._environment import EnvironmentCapture
from ._limits import check_field_name
from ._resume import stored_series
from ._runstate import RunState
from ._saving import Saving
from ._series import TimeSeriesLog
from ._spoolfile import spool_error
from ._ticker import Ticker
from ._uploader import Uploader

if TYPE_CHECKING:
    from ._runrecord import RunRecord
    from ._spool import ExperimentSpool

__all__ = ["Experiment"]


class Experiment:
    """One run's artifacts, made by :func:`new_experiment`.

    Saving is done by :class:`~lab_workbook_writer._saving.Saving`, closing by
    :class:`~lab_workbook_writer._closing.Closing`, over the run's shared
    :class:`~lab_workbook_writer._runstate.RunState`; here are its series and flushing.

    Attributes:
        tag: the run's tag: write it in your lab notes.
        storage: the store it writes to (``storage.requests`` counts the requests made).
    """

    def __init__(
        self,
        tag: str,
        *,
        storage: Storage,
        record: RunRecord,
        spool: ExperimentSpool,
        uploader: Uploader,
        heartbeat_seconds: float,
        close_timeout: float,
        custom_spool: bool = False,
        namespace: str = "",
        claim: bool = False,
        capture_environment: bool = False,
        attempt: int = 1,
    ) -> None:
        """Made by :func:`new_experiment` and :func:`attach_experiment` only.

        ``claim``: the tag's claim did not happen at the start (the store was unreachable); it is
        queued first, and nothing is sent before it succeeds. ``capture_environment``: record
        ``Environment.txt`` from a background thread. ``attempt``: 2 or more for a resumed run
        (its series continue the stored ones, their rows carry the attempt's number).
        """
        self.tag, self.storage, self.close_timeout = tag, storage, close_timeout
        #: ``""`` for the process that started the run; ``"rank1/"`` for one attached to it, which
        #: writes its artifacts there and leaves the run record (and closing the run) to the first.
        self.namespace = namespace
        state = self._state = RunState(
            tag,
            namespace=namespace,
            storage=storage,
            record=record,
            spool=spool,
            uploader=uploader,
            custom_spool=custom_spool,
        )
        self.pid = state.pid
        state.attempt = attempt
        self._saving = Saving(state)
        if claim:
            state.queue_record(claim=True, tag=tag)
        elif attempt > 1 and not namespace:  # the attempt's claim is stored: the record now names this process
            state.queue_record(tag=tag)
        ticker = Ticker(tag, series=state.all_series, heartbeat=state.queue_record, heartbeat_seconds=heartbeat_seconds)
        self._closing = Closing(state, ticker)
        # the closing part is what the lifecycle hooks track: it leaves them once the run is closed
        ending = lifecycle.Ending(self.pid, self.note_exception, self._closing.note_signal, self.close)
        lifecycle.register(self._closing, ending)
        if capture_environment:
            state.environment = EnvironmentCapture(tag, state.keep_environment)

    def __repr__(self) -> str:
        return f"<Experiment {self.tag} in {self.prefix}{' (closed)' if self._state.closed else ''}>"

    @property
    def prefix(self) -> str:
        """Where the experiment is stored (canonical form: ``s3://...`` or ``file://...``)."""
        return self.storage.location.url

    @property
    def description(self) -> str | None:
        """What the run is, as given to :func:`new_experiment`."""
        return self._state.record.current.description

    @property
    def attempt(self) -> int:
        """Which attempt of the run this process is: 1 for a run's start, 2 or more once resumed (``resume=``)."""
        return self._state.attempt

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran: the experiment refuses further writes."""
        return self._state.closed

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

        In a resumed run (``new_experiment(resume=...)``) the series continues what earlier
        attempts stored under this name: one LIST, then their segments (or final CSV) are read,
        so this call waits for the store, and raises ``StorageError`` if it cannot be read (the
        next segment's number is not known without it, and guessing could overwrite one).
        """
        file_name = self._saving.artifact_name(name, ".csv", series=True)
        growing = fields is None
        fields = [] if fields is None else fields
        if isinstance(fields, str) or not (fields or growing) or not all(isinstance(f, str) and f for f in fields):
            raise InvalidValueError(f"series {name!r}: fields must be a non-empty list of names, got {fields!r}")
        for each in fields:
            check_field_name(each, name)
        if len(set(fields)) != len(fields) or "Date" in fields:
            raise InvalidValueError(
                f"series {name!r}: field names must be unique and not 'Date' (added), got {fields!r}"
            )
        if not isinstance(save_every, int) or save_every < 1 or not flush_seconds > 0:
            raise InvalidValueError(f"series {name!r}: save_every must be an int >= 1 and flush_seconds > 0")
        state = self._state
        # a resumed run's series continues what earlier attempts stored (one LIST, then their rows)
        stored = stored_series(self.storage, self.tag, file_name) if state.attempt > 1 else None
        with state.lock:
            if file_name in state.series:
                raise InvalidNameError(f"this experiment already has a series {name!r}; log to the one you made")
            series = TimeSeriesLog(
                self.namespace + name,
                list(fields),
                tag=self.tag,
                path=state.spool.new_data_path(".csv", folder="series"),
                uploader=state.uploader,
                save_every=save_every,
                flush_seconds=flush_seconds,
                growing=growing,
                on_spool_error=state.spool_trouble,
                attempt=state.attempt,
                stored=stored,
            )
            try:
                note = state.uploader.note(
                    "series",
                    key=artifact_key(self.tag, file_name),
                    group=series.group,
                    data=state.spool.relative(series.path),
                )
            except OSError as err:
                series.seal()
                raise spool_error(f"series {name!r}", series.path, err) from err
            state.series[file_name] = series
            state.series_notes[file_name] = note
        return series

    @property
    def stranded(self) -> str | None:
        """Why nothing more of this run can reach its store from this process, or ``None``.

        Set when the run's tag turns out to be taken in the store by another run (it started
        while the store was unreachable, and another run claimed the tag meanwhile): that run
        stays intact, this one's data stays in the spool, :meth:`flush` and :meth:`close`
        return ``False`` at once, and ``lab-workbook sync --retag TAG`` sends it under a new tag.
        """
        return self._state.uploader.taken

    def flush(self, timeout: float | None = 60.0) -> bool:
        """Write everything saved and logged so far to local disk, then wait until the store has it.

        A training loop may call it every epoch: it never waits for a store that is known
        to be down (docs/writer.md, "flush").

        Returns:
            True when the store has everything. False, without waiting out ``timeout``, as
            soon as the store is known unreachable or refusing (the retry this call starts
            finds nothing answering or is refused, or a store that was down does not answer it
            within 5 s), when an upload it waited for was given up (access denied, bad
            credentials, a missing bucket: stderr says which; ``close()`` counts it), or when
            the run's tag is taken in the store (:attr:`stranded` says so); otherwise False once
            ``timeout`` seconds passed. A store answering ``503``/``500`` is busy, not down, and
            is waited for. Nothing is lost either way: the data stays in the spool (retried, or
            for ``lab-workbook sync``). ``timeout=None`` waits until one of those happens.
        """
        state = self._state
        on_disk = all([series.drain() for series in state.all_series()])
        if state.closed:  # close() already waited; what is left is for `lab-workbook sync`
            return not state.uploader.unsent() and on_disk
        started = time.monotonic()
        if state.images is not None and not state.images.wait(timeout):  # pictures reach the spool first
            return False
        if timeout is not None:
            timeout = max(0.0, timeout - (time.monotonic() - started))
        for series in state.all_series():
            series.request_upload(urgent=True)
        failures = state.uploader.kick()
        sent = state.uploader.wait(state.uploader.last_seq(), timeout, failed_since=failures)
        return sent and on_disk

    # -- saving (:mod:`lab_workbook_writer._saving`) -----------------------------------------------

    def save_json(self, name: str, value: Any) -> None:
        """Save ``value`` as ``<name>.json`` (strict JSON: NaN or Infinity raise here, naming where)."""
        self._saving.save_json(name, value)

    def save_torch(self, name: str, obj: Any, *, step: int | None = None, keep_last: int | None = None) -> None:
        """Save a state_dict (or anything ``torch.save`` takes) as ``<name>.pt``; needs torch.

        Args:
            name: the artifact's name; with ``step``, the name of a series of checkpoints.
            obj: what to save.
            step: the training step: stored as ``<name>/step-<8 digits>.pt``, a checkpoint of
                its own (``exp.checkpoints(name)`` lists them); without it each save replaces the last.
            keep_last: keep only this many checkpoints of the series: the step just saved and
                the highest others. Older ones are deleted only once this one is stored.

        Raises:
            InvalidValueError: ``keep_last`` without ``step`` or below 1; a negative ``step``.
        """
        self._saving.save_torch(name, obj, step=step, keep_last=keep_last)

    def save_file(
        self,
        path: str | os.PathLike[str],
        name: str | None = None,
        *,
        step: int | None = None,
        keep_last: int | None = None,
    ) -> None:
        """Save a copy of a local file (taken now) as ``name``, by default the file's own name.

        With ``step`` (and ``keep_last``) the file is a checkpoint, as in :meth:`save_torch`:
        ``<name>/step-<8 digits><the file's ending>``, ``name`` defaulting to the file's name
        without its ending (``ckpt.safetensors`` gives ``ckpt/step-00000100.safetensors``).
        """
        self._saving.save_file(path, name, step=step, keep_last=keep_last)

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
        self._saving.save_image(name, image, step, grid=grid)

    def save_figure(self, name: str, figure: Any, step: int | None = None, *, dpi: float | None = None) -> None:
        """Save a matplotlib figure as a PNG, named as :meth:`save_image` names pictures.

        The figure is rendered now (matplotlib is not thread-safe; you may close it right after);
        the PNG is encoded and uploaded in the background. ``dpi`` defaults to the figure's.
        """
        self._saving.save_figure(name, figure, step, dpi=dpi)

    def save_git_status(self, name: str = "Source", repo: str | os.PathLike[str] | None = None) -> bool:
        """Save ``<name>.git-current-commit``, ``<name>.git-patch`` and ``<name>.git-untracked``.

        Outside a git repository (or without git) this warns once and saves nothing.

        Args:
            name: the artifacts' common name.
            repo: a folder inside the repository to record; default the working directory.

        Returns:
            True if the three artifacts were saved.
        """
        return self._saving.save_git_status(name, repo)

    # -- closing (:mod:`lab_workbook_writer._closing`) ---------------------------------------------

    def close(self, timeout: float | None = None) -> bool:
        """Record the run as finished, send everything, and refuse further writes (idempotent).

        Args:
            timeout: how long to wait for the store (default ``close_timeout``). What is
                still unsent then stays in the spool, and stderr says to run ``lab-workbook sync``.

        Returns:
            True if everything reached the store; False if something waits in the spool, or if
            something was lost: rows or pictures the spool's disk refused, a picture that could
            not be encoded, uploads the store refused for good (access denied, bad credentials,
            a missing bucket). Then the run is recorded ``failed``, with the count in its
            ``error``, never ``finished`` (if the store accepts the record at all). When the run's tag is taken in
            the store by another run (``stranded``), False at once: nothing more could be sent,
            and stderr says how to send the run under a new tag.
        """
        return self._closing.close(self.close_timeout if timeout is None else timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._closing.exit(error, self.close_timeout)

    # -- the hook surface for integrations (docs/integrations.md, "Writing an integration") ----------

    def on_close(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once when closing starts, before the run's status is decided.

        For what must end before the series are sealed (a background thread that logs rows)
        or must decide how the run ended (:meth:`note_outcome`: training that began and
        never ended failed). Callbacks run in the order given, on the thread that closes the
        run; one that raises is reported on stderr and closing goes on.

        Raises:
            ExperimentClosedError: the run is closed already, so ``callback`` would never run.
        """
        self._closing.on_close(callback)

    def note_outcome(self, status: str, reason: dict[str, str]) -> None:
        """Say how the run ended, to be recorded when it is closed; the first note wins.

        An integration calls it when its framework reports a failure that raised nothing the
        writer sees (an exception the framework caught). Rows or pictures lost still make the
        run ``failed`` with the loss as its ``error``.

        Args:
            status: ``"failed"`` or ``"interrupted"`` (``finished`` needs no note).
            reason: the record's ``error``: ``{"type": ..., "message": ...}``, both strings.

        Raises:
            InvalidValueError: another status, or a reason of another shape.
        """
        self._closing.note_outcome(status, reason)

    def note_exception(self, error: BaseException) -> None:
        """Say that ``error`` ends the run: ``interrupted`` for Ctrl-C, else ``failed`` (first note wins)."""
        self._closing.note_exception(error)
