"""One experiment: its artifacts, loaded by kind with ``[]``, and its run record.

An :class:`Experiment` is a light handle (a tag and the store): nothing is read
until asked. Objects of a finished experiment are served from the disk cache once
downloaded; those of a running one are revalidated with their ETag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
import mmap
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any, overload
import warnings

from lab_workbook_core import (
    ArtifactNotFound,
    CorruptArtifactError,
    ObjectInfo,
    ObjectNotFound,
    validate_name,
    write_atomic,
)
from lab_workbook_core.attempts import Attempt, Parent, attempt_count, record_attempts, record_parent
from lab_workbook_core.hints import closest
from lab_workbook_core.keys import artifact_key, is_reserved, parse_segment_key, run_record_key, segments_prefix
from lab_workbook_core.record import UNREADABLE, RunRecord, run_duration
from lab_workbook_core.series_csv import ATTEMPT_FIELD, merge

from ._artifacts import ArtifactInfo, artifacts_of
from ._attempt_rows import AttemptsChoice, check_attempts_choice
from ._cache_writes import WRITER
from ._kinds import artifact_kind, load_bytes
from ._problems import PARSE, RECORD, SHA256, RunProblems
from ._records import status_of
from ._source import ObjectSource, Requested

if TYPE_CHECKING:  # pandas is imported by the calls that make frames: `import lab_workbook` stays quick
    import os

    from lab_workbook_core.environment import Environment
    import pandas as pd

    from ._checkout import CheckoutResult
    from ._diff import ExperimentDiff

__all__ = ["Experiment"]

_SHOWN_NAMES = 20
_CHECKED_UP_TO = 16 * 1024 * 1024  # bytes loaded whole up to this size are checked against the record's sha256


def _only(frame: pd.DataFrame, fields: Sequence[str] | None) -> pd.DataFrame:
    return frame if fields is None else frame[[c for c in frame.columns if c in fields]]


class Experiment:
    """The artifacts and run record of one experiment, as ``exp["name"]``.

    Get one from an :class:`~lab_workbook.ExperimentRepository` (``wb["tag"]``).

    Args:
        source: where the store's objects are read (shared with the repository).
        tag: the experiment's tag.
        refresh_seconds: how long the record of an experiment that is not over is trusted
            before it is read again.
    """

    def __init__(self, source: ObjectSource, tag: str, *, refresh_seconds: float = 5.0) -> None:
        self._source = source
        self.tag = tag
        self._refresh = refresh_seconds
        self._record: RunRecord | None = None
        self._read = False  # whether _record was read (None then: no record, or a damaged one)
        self._final = False  # whether _record says the run is over
        self._record_etag: str | None = None
        self._record_at = 0.0
        self._problems = RunProblems()
        self._checked: set[str] = set()  # artifacts whose bytes were compared with the record's sha256
        self._final_objects: list[ObjectInfo] | None = None

    @property
    def source(self) -> ObjectSource:
        """Where this experiment's objects are read: the source it was made with, shared with its repository."""
        return self._source

    # -- the run record -------------------------------------------------------------------
    def _read_record(self) -> RunRecord | None:
        """The run record; ``None`` for runs of the original tool and for a damaged record (a problem)."""
        record = self._record
        if self._read and (self._final or self._fresh()):
            return record
        index = self._source.records
        known = index.get(self.tag) if not self._read and index is not None else None
        if isinstance(known, RunRecord):  # from the store's runs index: parsed and checked by core
            self._record, self._read, self._record_at, self._final = known, True, time.monotonic(), known.is_final
            return known
        if isinstance(known, dict):  # an index an older version wrote is checked
            try:
                record = RunRecord.from_mapping(known, tag=self.tag)
            except CorruptArtifactError:
                pass
            else:
                self._record, self._read, self._record_at, self._final = record, True, time.monotonic(), record.is_final
                return record
        key = run_record_key(self.tag)
        cache = self._source.cache
        entry = cache.get(key) if cache is not None else None
        stored = True
        if entry is not None and entry.final:
            data: bytes | None = entry.data
        else:
            try:
                data, self._record_etag = self._source.storage.get_if_changed(key, self._record_etag)
            except ObjectNotFound:  # no record: a run of the original tool (`unknown`), which is not a problem
                data, self._record_etag, stored = b"", None, False
        if data is not None:  # None: unchanged since the last read
            record = self._parsed(data) if stored else None
            if not stored:
                self._problems.clear(RECORD, PARSE)
            if record is not None and record.is_final:
                if cache is not None and not (entry and entry.final):
                    cache.put(key, data, etag=self._record_etag, final=True)
                if index is not None:
                    index.add(self.tag, record.to_mapping())  # on disk when a runs table or `list` saves it
        self._record, self._read, self._record_at = record, True, time.monotonic()
        self._final = record is not None and record.is_final  # a final record is never read again
        return record

    def _parsed(self, data: bytes) -> RunRecord | None:
        """The stored record, or ``None`` with its problem noted: one damaged record must not hide
        the other runs, and a record that is empty, not an object or of the wrong types is
        ``unreadable``, never the original tool's ``unknown``."""
        try:
            record = RunRecord.parse(data, self.tag)
        except CorruptArtifactError as err:
            self._problems.note(RECORD, PARSE, str(err))
            return None
        self._problems.clear(RECORD, PARSE)
        return record

    def exists(self) -> bool:
        """Whether the store holds this experiment now: one request (two for a run with no record).

        A run whose record is not at hand has it read (and kept, for the loads that follow): a
        record that is there, even a damaged one, proves the run. A run whose record is known (a
        finished run read before, kept in the cache: it may have been deleted since) or that has
        none (the original tool's runs) is looked for by one listing of its folder.
        """
        if not self._record_known():
            record = self._read_record()
            if record is not None or self._problems.get(RECORD, PARSE) is not None:
                return True
        listed = self._source.storage.list(f"{self.tag}/", delimiter="/")
        return bool(listed.objects or listed.prefixes)

    def _fresh(self) -> bool:
        return time.monotonic() - self._record_at < self._refresh

    @property
    def record(self) -> RunRecord | None:
        """The run record (``docs/format.md``), typed; ``None`` for runs of the original tool, and for a
        damaged record (status ``unreadable``: :attr:`problems` says why)."""
        return self._read_record()

    @property
    def info(self) -> dict[str, Any]:
        """The run record (``docs/format.md``) as a dict, as stored; ``{}`` for runs of the original
        tool, and for a damaged record (status ``unreadable``: :attr:`problems` says why)."""
        record = self._read_record()
        return record.to_mapping() if record is not None else {}

    @property
    def status(self) -> str:
        """``running``, ``finished``, ``failed``, ``interrupted``, ``crashed`` (stale heartbeat), ``unknown``
        (no run record: the original tool's runs) or ``unreadable`` (a run record that is empty, not
        JSON, not an object or has fields of the wrong type: see :attr:`problems`)."""
        record = self._read_record()
        return UNREADABLE if self._problems.get(RECORD, PARSE) is not None else status_of(record)

    @property
    def problems(self) -> list[str]:
        """What is wrong with the run, as far as it has been read: why its run record cannot be read
        (then :attr:`info` is ``{}``), then each artifact that could not be loaded. ``[]`` for a
        healthy run. Reading a part again without a problem removes its entry."""
        self._read_record()
        return self._problems.messages()

    @property
    def problem(self) -> str | None:
        """:attr:`problems` in one line (joined by ``"; "``), or ``None`` when there is none."""
        return "; ".join(self.problems) or None

    def note_problem(self, where: str, message: str, *, check: str) -> None:
        """Record a problem of this run that ``check`` found in ``where`` (an artifact's name).

        The loaders note what they cannot parse (``check="parse"``); another check (say
        ``check="sha256"``: an artifact whose bytes do not match the record's sha256) reports
        through this, and the run shows the problem wherever :attr:`problems` is shown. Each
        check's finding is its own: a successful parse does not clear a sha256 mismatch.
        """
        self._problems.note(where, check, message)

    def clear_problem(self, where: str, *, check: str) -> None:
        """``check`` found nothing wrong with ``where`` this time (see :meth:`note_problem`)."""
        self._problems.clear(where, check)

    @contextmanager
    def _noting(self, name: str) -> Iterator[None]:
        """Notes a :class:`CorruptArtifactError` of ``name`` as a problem of the run (and re-raises it)."""
        try:
            yield
        except CorruptArtifactError as err:
            self._problems.note(name, PARSE, str(err))
            self._source.distrust(artifact_key(self.tag, name))  # read again next time: it may be repaired
            raise
        self._problems.clear(name, PARSE)

    def _check_bytes(self, name: str, data: bytes) -> None:
        """Compare bytes just loaded with the SHA-256 the final record lists; a mismatch is a problem of the run.

        Only small artifacts are hashed (the bytes are in memory anyway), once per name: a
        mismatch means another writer's object under this run's name (a tag claimed twice on a
        store without conditional writes), or a change made to the store by hand.
        """
        if name in self._checked or len(data) > _CHECKED_UP_TO:
            return
        self._checked.add(name)
        record = self._read_record()
        mismatch = record.artifact_mismatch(name, data) if record is not None else None
        if mismatch is not None:
            self._problems.note(name, SHA256, mismatch)
            warnings.warn(f"experiment {self.tag}: {mismatch}", stacklevel=4)

    @property
    def started(self) -> datetime | None:
        """When the run started (UTC), or ``None`` without a run record."""
        record = self._read_record()
        return record.started_at if record is not None else None

    @property
    def ended(self) -> datetime | None:
        """When the run ended (UTC); ``None`` while it runs or without a run record."""
        record = self._read_record()
        return record.ended_at if record is not None else None

    @property
    def heartbeat(self) -> datetime | None:
        """The run's last sign of life (UTC), or ``None`` without a run record."""
        record = self._read_record()
        return record.heartbeat_at if record is not None else None

    @property
    def duration(self) -> timedelta | None:
        """How long the run took: to its end, or, while running (or crashed), to the newest thing it
        wrote: its heartbeat or its last series segment, whichever is later (core's
        :func:`~lab_workbook_core.record.run_duration`; one listing of the run's folder)."""
        record = self._read_record()
        if record is None:
            return None
        if record.ended_at is not None or record.started_at is None:
            return run_duration(record)
        return run_duration(record, (o.last_modified for o in self._objects(segments_prefix(self.tag))))

    @property
    def description(self) -> str | None:
        """What the user said the run is (``new_experiment(description=...)``)."""
        record = self._read_record()
        return record.description if record is not None else None

    @property
    def attempts(self) -> list[Attempt]:
        """The processes the run lived through, in order (``docs/format.md``, *Attempts*).

        A run resumed after a preemption or a crash (``new_experiment(resume=TAG)``) has one
        :class:`~lab_workbook_core.attempts.Attempt` per process: its number, start, end, host,
        pid, what it ended as (``crashed`` for one that died without saying so) and its error.
        A run never resumed has one, described by its record; ``[]`` without a run record.
        """
        return record_attempts(self._read_record())

    @property
    def parent(self) -> Parent | None:
        """The run this one was forked from (``new_experiment(fork=TAG, step=N)``): its ``tag`` and
        ``step``; ``None`` for a run that is not a fork."""
        return record_parent(self._read_record())

    def _over(self) -> bool:
        record = self._read_record()
        return record is not None and record.is_final

    # -- artifacts ------------------------------------------------------------------------
    def _objects(self, prefix: str | None = None) -> list[ObjectInfo]:
        """Every object of the experiment (one listing), remembered once the run is over."""
        if self._final_objects is not None:
            objects = self._final_objects
        else:
            objects = self._source.storage.list(f"{self.tag}/", delimiter=None).objects
            if self._over():
                self._final_objects = objects
        return objects if prefix is None else [o for o in objects if o.key.startswith(prefix)]

    def artifacts(self) -> list[ArtifactInfo]:
        """The user's artifacts with their sizes, sorted by name (one listing of the run's folder).

        A series of a running run that exists only as segments appears under its final
        name (``Training loss.csv``) with ``in_segments`` set and the size of its segments
        so far; :meth:`read_bytes` and :meth:`download` assemble it.
        """
        return artifacts_of(self.tag, self._objects())

    def list_artifacts(self) -> list[str]:
        """The user's artifact names, sorted; a series still in segments appears as its final ``X.csv``."""
        return [artifact.name for artifact in self.artifacts()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.list_artifacts()

    @overload
    def __getitem__(self, name: str) -> Any: ...
    @overload
    def __getitem__(self, name: slice) -> list[str]: ...
    def __getitem__(self, name: str | slice) -> Any:
        """``exp["parameters.json"]`` loads an artifact by kind; ``exp[:]`` lists them."""
        if isinstance(name, slice):
            return self.list_artifacts()[name]
        if not isinstance(name, str):
            raise TypeError(f"index an experiment with an artifact name (str) or a slice, not {type(name).__name__}")
        return self.load(name)

    def load(self, name: str, *, attempts: AttemptsChoice = "latest") -> Any:
        """The artifact as an object of its kind (see ``docs/format.md``); same as ``exp[name]``.

        Args:
            name: the artifact.
            attempts: for a series of a resumed run: ``"latest"`` (the default frame: for each
                index value, the rows of the latest attempt that logged it, without the
                ``Attempt`` column) or ``"all"`` (every row, with its ``Attempt``, 1 for the
                first attempt's). A run never resumed gives the same frame either way.

        Raises:
            ArtifactNotFound: listing what the experiment holds and the closest names.
            CorruptArtifactError: the bytes are not of their kind (also noted in :attr:`problems`).
            ValueError: ``attempts`` is neither ``"latest"`` nor ``"all"``.
        """
        check_attempts_choice(attempts)
        if artifact_kind(name) == "csv":
            return self.load_series(name, attempts=attempts)
        with self._noting(name):
            return load_bytes(name, self.read_bytes(name), f"{self.tag}/{name}")

    def load_series(
        self, name: str, fields: Sequence[str] | None = None, *, attempts: AttemptsChoice = "latest"
    ) -> pd.DataFrame:
        """A time series as a DataFrame, with only ``fields`` (and the index) when given.

        Only the fields asked for are parsed (a meld wants the index and one field, not
        ``Date``). Once the run is over the parsed columns are kept in the disk cache, with
        those of earlier loads, and later loads of them skip CSV parsing altogether.

        A resumed run's series (``docs/format.md``, *Attempts*) keeps by default, for each
        index value, the rows of the latest attempt that logged it; ``attempts="all"`` gives
        every row with its ``Attempt`` (see :meth:`load`).

        Raises:
            CorruptArtifactError: the series cannot be parsed (also noted in :attr:`problems`).
            ValueError: ``attempts`` is neither ``"latest"`` nor ``"all"``.
        """
        from ._attempt_rows import with_attempts

        check_attempts_choice(attempts)
        with self._noting(name):
            wanted = None if fields is None else [*fields, ATTEMPT_FIELD]  # the rule needs it: no cost when absent
            frame = with_attempts(self._series(name, wanted), attempts, f"{self.tag}/{name}")
            return _only(frame, None if fields is None or attempts == "all" else fields)

    def _series(self, name: str, fields: Sequence[str] | None) -> pd.DataFrame:
        from ._frames import decode_frame, encode_frame, stored_fields  # pandas: imported by the first load
        from ._series import parse_series, read_header

        key = artifact_key(self.tag, validate_name(name))
        early = None if is_reserved(name) or self._record_known() else self._request_early(key)
        cache = self._source.cache if self._over() else None
        parsed_key = f"{key}\x00frame"
        earlier: list[str] = []  # fields parsed before, kept in the cache entry with the new ones
        if cache is not None and (stored := cache.map(parsed_key)) is not None:
            try:
                frame = decode_frame(stored, fields)
                earlier = stored_fields(stored) if frame is None and fields is not None else []
            finally:
                if isinstance(stored, mmap.mmap):
                    stored.close()
            if frame is not None:
                return frame
        where = f"{self.tag}/{name}"
        with WRITER.held():  # the cache's writes wait for the parse, which wants every core
            data = self._read_bytes(name, early)
            frame = parse_series(data, where, usecols=None if fields is None else [*fields, *earlier])
        if cache is not None and (encoded := encode_frame(frame, read_header(data, where)[1:])) is not None:
            cache.put(parsed_key, encoded, etag=None, final=True)
        return _only(frame, fields)

    def _record_known(self) -> bool:
        """Whether the run record is at hand without a request: read and still trusted, in the
        runs index, or kept final in the disk cache."""
        if self._read and (self._final or self._fresh()):
            return True
        index = self._source.records
        if not self._read and index is not None and index.get(self.tag) is not None:
            return True
        cache = self._source.cache
        entry = cache.get(run_record_key(self.tag)) if cache is not None else None
        return entry is not None and entry.final

    def _request_early(self, key: str) -> Future[Requested]:
        """The object's GET, sent on its own thread now, while this one reads the run record.

        The record decides what the bytes are (a finished run's, kept final in the cache and
        checked against its sha256; a resumed run's older CSV, passed over for its segments), so
        the answer is only settled by :meth:`_read_bytes` once the record is in hand: a cold load
        waits for one round trip instead of two.
        """
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lab-workbook-get")
        try:
            return pool.submit(self._source.request, key)
        finally:
            pool.shutdown(wait=False)  # the GET runs on; the thread ends with it

    def read_bytes(self, name: str) -> bytes:
        """The artifact's raw bytes (a series still in segments is assembled).

        Raises:
            ArtifactNotFound: listing what the experiment holds and the closest names.
        """
        return self._read_bytes(name, None)

    def _read_bytes(self, name: str, early: Future[Requested] | None) -> bytes:
        """:meth:`read_bytes`, with the object's answer already asked for by :meth:`_request_early`."""
        validate_name(name)
        if is_reserved(name):
            raise self._not_found(name)
        key = artifact_key(self.tag, name)
        final = self._over()
        if not final and self._segments_first(name):
            assembled = self._from_segments(name)
            if assembled is not None:
                return assembled
        for _attempt in range(2):  # the writer may merge (and delete) segments between our two reads
            try:
                if early is not None:  # the first read only: the second must see the store anew
                    requested, early = early, None
                    data = self._source.settle(requested.result(), final=final)
                else:
                    data = self._source.fetch(key, final=final)
            except ObjectNotFound:
                if artifact_kind(name) != "csv":
                    break
            else:
                if final:
                    self._check_bytes(name, data)
                return data
            assembled = self._from_segments(name)
            if assembled is not None:
                return assembled
            self._final_objects = None
        raise self._not_found(name)

    def download(
        self, name: str, dest: str | os.PathLike[str], *, progress: Callable[[int], None] | None = None
    ) -> None:
        """Write the artifact's bytes to the file ``dest``, atomically (a series in segments is assembled).

        Unlike :meth:`read_bytes`, a stored object goes straight to the disk, never whole in
        memory nor through the cache (a model of several GB is fine); a series still in
        segments is assembled in memory first. ``progress(nbytes)`` is called as bytes arrive.

        Raises:
            ArtifactNotFound: listing what the experiment holds and the closest names.
        """
        validate_name(name)
        if is_reserved(name):
            raise self._not_found(name)
        if not (self._segments_first(name) and not self._over()):  # a resumed run's series: its segments first
            try:
                self._source.storage.download(artifact_key(self.tag, name), Path(dest), progress=progress)
                return
            except ObjectNotFound:
                if artifact_kind(name) != "csv":
                    raise self._not_found(name) from None
        data = self.read_bytes(name)  # segments (or the series, merged meanwhile)
        write_atomic(dest, data)
        if progress is not None:
            progress(len(data))

    def _segments_first(self, name: str) -> bool:
        """Whether ``name`` is a series of a resumed run, whose segments come before its final CSV while it runs.

        The final CSV may be an earlier attempt's, older than the segments the current one writes
        (``docs/format.md``, *Attempts*). An ordinary run reads its final CSV first: no extra listing.
        """
        return artifact_kind(name) == "csv" and attempt_count(self._read_record()) > 1

    def _from_segments(self, name: str) -> bytes | None:
        found = []
        for info in self._source.storage.list(segments_prefix(self.tag, name), delimiter=None).objects:
            parsed = parse_segment_key(self.tag, info.key)
            if parsed is not None and parsed[0] == name:
                found.append((parsed[1], info.key))
        if not found:
            return None
        try:
            parts = self._source.fetch_many([key for _, key in sorted(found)], final=True)
        except ObjectNotFound:
            return None
        return merge(parts, f"{self.tag}/{name}")  # the rule the writer's close and sync follow

    def _not_found(self, name: str) -> ArtifactNotFound:
        names = self.list_artifacts()
        hint = closest(name, names)
        parts = [f"experiment {self.tag} has no artifact {name!r}."]
        if hint:
            parts.append("Did you mean " + " or ".join(repr(h) for h in hint) + "?")
        if names:
            shown = ", ".join(repr(n) for n in names[:_SHOWN_NAMES])
            more = f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else ""
            parts.append(f"It has: {shown}{more}.")
        else:
            parts.append("It has no artifacts yet.")
        return ArtifactNotFound(" ".join(parts))

    def images(self, name: str) -> pd.DataFrame:
        """The steps of the image series ``name`` (``save_image(name, ..., step=...)``), by step.

        Columns ``step`` (int), ``name`` (the artifact) and ``image``: a
        :class:`~lab_workbook.LazyImage` that downloads and decodes on ``.load()`` (and
        shows itself in Jupyter). One listing of ``<name>/step-`` finds the steps.
        """
        from ._images import images_frame

        return images_frame(self, name)

    def checkpoints(self, name: str) -> pd.DataFrame:
        """The checkpoints of the series ``name`` (``save_torch(name, obj, step=N)``), by step.

        Columns ``step`` (int), ``name`` (the artifact), ``size`` (bytes) and ``modified`` (UTC).
        One listing of ``<name>/step-`` finds them; a resumed job finds where to restart with
        ``exp.checkpoints("model").step.max()`` (``NaN`` when there is none yet).
        """
        from ._checkpoints import checkpoint_steps, checkpoints_frame

        return checkpoints_frame(checkpoint_steps(self._source.storage, self.tag, name))

    def load_checkpoint(
        self, name: str, step: int | str = "latest", *, weights_only: bool = True, map_location: Any = None
    ) -> Any:
        """The checkpoint of ``name`` at ``step`` (the highest stored, by default), loaded with torch.

        ``weights_only=True`` never runs a pickle (pass ``False`` only for runs you trust);
        ``map_location`` is ``torch.load``'s (``"cpu"`` on a machine without the GPU it was saved from).

        Raises:
            ArtifactNotFound: no checkpoint of that name or step; the message lists what there is.
            CorruptArtifactError: not a torch file, or refused by the safe loader.
        """
        from ._checkpoints import checkpoint_steps, choose_step
        from ._tensors import load_torch

        steps = checkpoint_steps(self._source.storage, self.tag, name)
        chosen = choose_step(self.tag, name, steps, step, self.list_artifacts).name
        with self._noting(chosen):
            data = self.read_bytes(chosen)
            return load_torch(data, f"{self.tag}/{chosen}", weights_only=weights_only, map_location=map_location)

    # -- the environment and the code ----------------------------------------------------
    def environment(self) -> Environment:
        """The interpreter, packages, CUDA and GPUs the run used, parsed from ``Environment.txt``.

        ``env.packages`` maps each package's canonical name to a :class:`Package` (name,
        version, and for editable or VCS installs the source and commit); ``env.facts``
        holds the Python build, torch, CUDA, cuDNN and GPU facts; ``env.diff(other)``
        compares two environments.

        Raises:
            ArtifactNotFound: the run has no ``Environment.txt`` (recorded before lab-workbook
                captured environments, or with ``new_experiment(capture_environment=False)``).
        """
        from lab_workbook_core.environment import ENVIRONMENT_ARTIFACT, Environment

        try:
            data = self.read_bytes(ENVIRONMENT_ARTIFACT)
        except ArtifactNotFound:
            raise ArtifactNotFound(
                f"experiment {self.tag} has no {ENVIRONMENT_ARTIFACT}: it was recorded by a writer that did not "
                "capture environments, or with new_experiment(capture_environment=False)"
            ) from None
        return Environment.parse(data.decode("utf-8", errors="replace"))

    def checkout(
        self, directory: str | os.PathLike[str], *, repo: str | os.PathLike[str] | None = None, name: str = "Source"
    ) -> CheckoutResult:
        """Re-create the run's code in ``directory``, a new (or empty) folder.

        A ``git worktree`` of the recorded commit (found in ``repo``, else the current
        folder's repository, else the run's recorded working directory), with the recorded
        ``<name>.git-patch`` applied and the ``<name>.git-untracked`` text files written.
        Your own working tree is never touched.

        Raises:
            CheckoutError: nothing was recorded to restore, or ``directory`` is not new.
            CheckoutIncomplete: part of the code could not be restored (an unknown commit,
                a patch that does not apply, binary files only named); ``err.result.problems``
                lists each, and ``directory`` is left with what could be restored.
        """
        from ._checkout import checkout

        return checkout(self, directory, repo=repo, name=name)

    # -- comparing and showing ------------------------------------------------------------
    def diff(
        self, other: Experiment, *, params: str = "parameters.json", patch: str = "Source.git-patch"
    ) -> ExperimentDiff:
        """What changed from this experiment to ``other``: parameters side by side and the code patches."""
        from ._diff import ExperimentDiff

        return ExperimentDiff.between(self, other, params=params, patch=patch)

    def __repr__(self) -> str:
        return f"<Experiment: {self.tag}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Experiment):
            return NotImplemented
        return self.tag == other.tag and self._source.storage.location == other.source.storage.location

    def __hash__(self) -> int:
        return hash((self.tag, self._source.storage.location))

    def _repr_html_(self) -> str:
        from ._html import experiment_html

        return experiment_html(self)
