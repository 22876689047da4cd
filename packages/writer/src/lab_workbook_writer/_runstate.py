"""One run's shared state, given to the parts of an :class:`~lab_workbook_writer.Experiment`.

The saving part (:mod:`lab_workbook_writer._saving`) and the closing part
(:mod:`lab_workbook_writer._closing`) each hold a reference to one :class:`RunState`:
the run record, the spool, the uploader, the lock over them, the series, and what
closing must know (the before-close callbacks, the outcome noted, what was lost).
Queueing goes through here, so that the record's list of artifacts and the uploads
queued always agree: :meth:`RunState.queue` for an artifact, :meth:`RunState.queue_record`
for the run record. Nothing here waits for the store.
"""

from __future__ import annotations

from collections.abc import Callable
import hashlib
import os
from pathlib import Path
import threading
from typing import TYPE_CHECKING, Any

from lab_workbook_core.environment import ENVIRONMENT_ARTIFACT
from lab_workbook_core.keys import artifact_key, run_record_key

from ._spoolfile import spool_error

if TYPE_CHECKING:
    from lab_workbook_core import Storage

    from ._encoder import ImageEncoder
    from ._environment import EnvironmentCapture
    from ._runrecord import RunRecord
    from ._series import TimeSeriesLog
    from ._spool import Entry, ExperimentSpool, Op
    from ._uploader import Uploader

__all__ = ["RunState", "size_and_sha256"]


class RunState:
    """What the parts of one experiment share; each field is documented where it is set.

    Attributes:
        tag: the run's tag.
        namespace: ``""`` for the process that started the run, ``"rank1/"`` for one attached to it.
        pid: the process that made the experiment (a forked child touches nothing of it).
        storage: the store the run is written to.
        record: the run record's fields (changed under :attr:`lock`).
        spool: the experiment's spool folder.
        uploader: the queue of uploads and its thread.
        custom_spool: the spool is not the default one (``lab-workbook sync`` needs to be told where).
        lock: guards the record's fields, the series and the fields below that closing reads.
    """

    def __init__(
        self,
        tag: str,
        *,
        namespace: str,
        storage: Storage,
        record: RunRecord,
        spool: ExperimentSpool,
        uploader: Uploader,
        custom_spool: bool,
    ) -> None:
        self.tag, self.namespace, self.pid, self.storage = tag, namespace, os.getpid(), storage
        self.record, self.spool, self.uploader, self.custom_spool = record, spool, uploader, custom_spool
        self.lock = threading.Lock()
        #: Each series by its artifact name, and its manifest in the spool (for sync() after a crash).
        self.series: dict[str, TimeSeriesLog] = {}
        self.series_notes: dict[str, Entry] = {}
        #: The picture encoder, started by the first save_image.
        self.images: ImageEncoder | None = None
        #: The environment capture's thread, if the run records one.
        self.environment: EnvironmentCapture | None = None
        #: Small JSON artifacts by name, for the final record's summary.
        self.small_json: dict[str, bytes] = {}
        #: Run once when closing starts, before the outcome is read (``on_close``): background
        #: writers stop (system metrics), an integration may note that training never reached its end.
        self.before_close: list[Callable[[], None]] = []
        #: How the run ended, if noted before closing (the first note wins).
        self.outcome: tuple[str, dict[str, str] | None] | None = None
        #: True once closing started: the experiment refuses further writes.
        self.closed = False
        #: Rows never written to the spool, by series name (set when the series are sealed).
        self.lost_rows: dict[str, int] = {}
        #: Which attempt of the run this process is: 2 or more once resumed (its rows carry it).
        self.attempt = 1

    @property
    def prefix(self) -> str:
        """Where the run is stored (canonical form: ``s3://...`` or ``file://...``)."""
        return self.storage.location.url

    def all_series(self) -> list[TimeSeriesLog]:
        """The run's series now (a copy: series are added as the run goes)."""
        with self.lock:
            return list(self.series.values())

    def lost_pictures(self) -> dict[str, str]:
        """Pictures never stored, by artifact name, with why (``"SpoolError"`` or the encoding's error)."""
        return self.images.lost if self.images is not None else {}

    def lost_anything(self) -> bool:
        """Whether rows or pictures were never stored, or uploads refused for good (the run is then recorded failed)."""
        return bool(self.lost_rows) or bool(self.lost_pictures()) or bool(self.uploader.lost)

    def spool_trouble(self, message: str | None) -> None:
        """A series cannot write to the spool (``message``), or can again (None): the run record says so."""
        with self.lock:
            if self.closed:
                return
            self.record.update(error=None if message is None else {"type": "SpoolError", "message": message})
        self.queue_record()

    def keep_environment(self, text: str, summary: dict[str, Any]) -> None:
        """The environment capture's result: ``Environment.txt`` queued, ``summary`` in the run record."""
        path = self.spool.new_data_path(".txt")
        path.write_text(text, encoding="utf-8")
        with self.lock:
            self.record.update(environment=summary)
        self.queue(ENVIRONMENT_ARTIFACT, path)
        self.queue_record()

    def keep_git_commit(self, commit: Callable[[], str | None]) -> None:
        """Record the run's git commit from ``commit()``, unless one is recorded already."""
        with self.lock:
            if self.record.current.git_commit is None:
                self.record.update(git_commit=commit())

    def keep_small_json(self, artifact: str, data: bytes | None) -> None:
        """Keep a JSON artifact's bytes for the final record's summary (``None``: too large, forget it)."""
        with self.lock:
            if data is not None:
                self.small_json[artifact] = data
            else:
                self.small_json.pop(artifact, None)

    def queue(self, artifact: str, path: Path, *, group: str | None = None) -> None:
        """Queue the upload of ``artifact`` from ``path`` in the spool, listing it in the run record."""
        size, digest = size_and_sha256(path)
        with self.lock:
            self.record.add_artifact(artifact, size, digest)
        self.uploader.submit(
            "put",
            key=artifact_key(self.tag, artifact),
            group=group or f"artifact:{artifact}",
            data=self.spool.relative(path),
            size=size,
            supersede=True,
        )

    def queue_record(self, *, barrier: bool = False, claim: bool = False, **changes: Any) -> None:
        """Queue the run record; from memory if the spool's disk fails (it is small, and must get out)."""
        if self.namespace:  # attached: the run record is the first process's
            return
        with self.lock:
            data = self.record.to_bytes(**changes)
        path = self.spool.new_data_path(".run.json")
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
            self.uploader.submit(op, data=self.spool.relative(path), **options)
        except OSError as err:
            path.unlink(missing_ok=True)
            if claim:  # the claim must be persisted for sync(): say so where the run starts
                raise spool_error("the run record", path.parent, err) from err
            self.uploader.submit(op, body=data, **options)


def size_and_sha256(path: Path) -> tuple[int, str]:
    """The file's size and SHA-256, for the run record's list of artifacts."""
    with open(path, "rb") as data:
        digest = hashlib.file_digest(data, "sha256")
    return path.stat().st_size, digest.hexdigest()
