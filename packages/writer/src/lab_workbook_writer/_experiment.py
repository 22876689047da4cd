"""An experiment being recorded: the :class:`Experiment` that :func:`new_experiment` returns.

Every ``save_*`` call (:mod:`lab_workbook_writer._saving`) serialises its value into
the experiment's spool folder and queues an upload; every series row goes to a
local file. Nothing waits for the store except :meth:`Experiment.flush` and
closing (:mod:`lab_workbook_writer._closing`), which take a timeout. A ticker
thread (:mod:`lab_workbook_writer._ticker`) refreshes the run record's heartbeat
and starts uploads of series rows older than their ``flush_seconds``.

An experiment belongs to the process that made it (``pid``): a forked child that
leaves a ``with new_experiment(...)`` block, or exits, touches nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import os
from pathlib import Path
import threading
import time
from typing import Any

from lab_workbook_core import InvalidNameError, InvalidValueError, Storage
from lab_workbook_core.environment import ENVIRONMENT_ARTIFACT
from lab_workbook_core.keys import artifact_key, run_record_key

from . import _lifecycle as lifecycle
from ._closing import Closing
from ._encoder import ImageEncoder
from ._environment import EnvironmentCapture
from ._limits import check_field_name
from ._runrecord import RunRecord
from ._saving import Saving, size_and_sha256
from ._series import TimeSeriesLog
from ._spool import Entry, ExperimentSpool, Op
from ._spoolfile import spool_error
from ._ticker import Ticker
from ._uploader import Uploader

__all__ = ["Experiment"]


class Experiment(Saving, Closing):
    """One run's artifacts, made by :func:`new_experiment`.

    Saving is in :class:`~lab_workbook_writer._saving.Saving`, closing in
    :class:`~lab_workbook_writer._closing.Closing`; here are the run's state, its series and
    what it queues.

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
    ) -> None:
        """Made by :func:`new_experiment` and :func:`attach_experiment` only.

        ``claim``: the tag's claim did not happen at the start (the store was unreachable); it is
        queued first, and nothing is sent before it succeeds. ``capture_environment``: record
        ``Environment.txt`` from a background thread.
        """
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
        #: Run once when closing starts, before the outcome is read (:meth:`on_close`): background
        #: writers stop (system metrics), an integration may note that training never reached its end.
        self._before_close: list[Callable[[], None]] = []
        self._series_notes: dict[str, Entry] = {}  # each series' manifest, for sync() after a crash
        self._lock = threading.Lock()  # the record's fields and the set of series
        self._closed = False
        self._lost: dict[str, int] = {}
        self._environment: EnvironmentCapture | None = None
        self._outcome: tuple[str, dict[str, str] | None] | None = None
        if claim:
            self._queue_record(claim=True, tag=tag)
        self._ticker = Ticker(
            tag,
            series=self._all_series,
            heartbeat=self._queue_record,
            heartbeat_seconds=heartbeat_seconds,
        )
        lifecycle.register(self, lifecycle.Ending(self.pid, self.note_exception, self._note_signal, self.close))
        if capture_environment:
            self._environment = EnvironmentCapture(tag, self._keep_environment)

    def __repr__(self) -> str:
        return f"<Experiment {self.tag} in {self.prefix}{' (closed)' if self._closed else ''}>"

    @property
    def prefix(self) -> str:
        """Where the experiment is stored (canonical form: ``s3://...`` or ``file://...``)."""
        return self.storage.location.url

    @property
    def description(self) -> str | None:
        """What the run is, as given to :func:`new_experiment`."""
        return self._record.current.description

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran: the experiment refuses further writes."""
        return self._closed

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
            raise InvalidValueError(
                f"series {name!r}: field names must be unique and not 'Date' (added), got {fields!r}"
            )
        if not isinstance(save_every, int) or save_every < 1 or not flush_seconds > 0:
            raise InvalidValueError(f"series {name!r}: save_every must be an int >= 1 and flush_seconds > 0")
        with self._lock:
            if file_name in self._series:
                raise InvalidNameError(f"this experiment already has a series {name!r}; log to the one you made")
            series = TimeSeriesLog(
                self.namespace + name,
                list(fields),
                tag=self.tag,
                path=self._spool.new_data_path(".csv", folder="series"),
                uploader=self._uploader,
                save_every=save_every,
                flush_seconds=flush_seconds,
                growing=growing,
                on_spool_error=self._spool_trouble,
            )
            try:
                note = self._uploader.note(
                    "series",
                    key=artifact_key(self.tag, file_name),
                    group=series.group,
                    data=self._spool.relative(series.path),
                )
            except OSError as err:
                series.seal()
                raise spool_error(f"series {name!r}", series.path, err) from err
            self._series[file_name] = series
            self._series_notes[file_name] = note
        return series

    def _all_series(self) -> list[TimeSeriesLog]:
        with self._lock:
            return list(self._series.values())

    def _spool_trouble(self, message: str | None) -> None:
        """A series cannot write to the spool (``message``), or can again (None): the run record says so."""
        with self._lock:
            if self._closed:
                return
            self._record.update(error=None if message is None else {"type": "SpoolError", "message": message})
        self._queue_record()

    def _keep_environment(self, text: str, summary: dict[str, Any]) -> None:
        """The environment capture's result: ``Environment.txt`` queued, ``summary`` in the run record."""
        path = self._spool.new_data_path(".txt")
        path.write_text(text, encoding="utf-8")
        with self._lock:
            self._record.update(environment=summary)
        self._queue(ENVIRONMENT_ARTIFACT, path)
        self._queue_record()

    def _queue(self, artifact: str, path: Path, *, group: str | None = None) -> None:
        size, digest = size_and_sha256(path)
        with self._lock:
            self._record.add_artifact(artifact, size, digest)
        self._uploader.submit(
            "put",
            key=artifact_key(self.tag, artifact),
            group=group or f"artifact:{artifact}",
            data=self._spool.relative(path),
            size=size,
            supersede=True,
        )

    def _queue_record(self, *, barrier: bool = False, claim: bool = False, **changes: Any) -> None:
        """Queue the run record; from memory if the spool's disk fails (it is small, and must get out)."""
        if self.namespace:  # attached: the run record is the first process's
            return
        with self._lock:
            data = self._record.to_bytes(**changes)
        path = self._spool.new_data_path(".run.json")
        op: Op = "claim" if claim else "put"
        options: dict[str, Any] = {
            "key": run_record_key(self.tag),
            "group": "run",
            "size": len(data),
            "supersede": True,
            "barrier": barrier,
        }
        try:
            path.write_bytes(data)
            self._uploader.submit(op, data=self._spool.relative(path), **options)
        except OSError as err:
            path.unlink(missing_ok=True)
            if claim:  # the claim must be persisted for sync(): say so where the run starts
                raise spool_error("the run record", path.parent, err) from err
            self._uploader.submit(op, body=data, **options)

    @property
    def stranded(self) -> str | None:
        """Why nothing more of this run can reach its store from this process, or ``None``.

        Set when the run's tag turns out to be taken in the store by another run (it started
        while the store was unreachable, and another run claimed the tag meanwhile): that run
        stays intact, this one's data stays in the spool, :meth:`flush` and :meth:`close`
        return ``False`` at once, and ``lab-workbook sync --retag TAG`` sends it under a new tag.
        """
        return self._uploader.taken

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
        on_disk = all([series.drain() for series in self._all_series()])
        if self._closed:  # close() already waited; what is left is for `lab-workbook sync`
            return not self._uploader.unsent() and on_disk
        started = time.monotonic()
        if self._images is not None and not self._images.wait(timeout):  # pictures reach the spool first
            return False
        if timeout is not None:
            timeout = max(0.0, timeout - (time.monotonic() - started))
        for series in self._all_series():
            series.request_upload(urgent=True)
        failures = self._uploader.kick()
        sent = self._uploader.wait(self._uploader.last_seq(), timeout, failed_since=failures)
        return sent and on_disk
