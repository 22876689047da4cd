"""The store's experiments, as ``wb[...]``: the notebook's entry point.

Listing uses one paginated delimiter listing of the prefix (S3 answers 1,000
folders per page; a longer one is sent as ranges at once, :mod:`lab_workbook._run_listing`),
never a request per experiment, and is trusted for a few
seconds so that ``wb[...]`` in a loop does not list again and again. Which
folders are experiments is core's rule (:func:`lab_workbook_core.keys.experiment_tags`:
never one whose name starts with ``.``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
import json
import os
import threading
import time
from typing import TYPE_CHECKING, Any, Unpack, overload

from lab_workbook_core import ExperimentNotFound, concurrent_map, load_config, open_storage, validate_tag
from lab_workbook_core.hints import closest
from lab_workbook_core.keys import experiment_tags, is_experiment_folder
from lab_workbook_core.record import FINAL_STATUSES
from lab_workbook_core.storage import Listing

from ._cache import DEFAULT_CACHE_BYTES, DiskCache, clear_cache
from ._collection import ExperimentList, ExperimentTuple
from ._experiment import Experiment
from ._run_listing import kept_listing, list_runs
from ._run_rows import IndexedRow, RunRows, RunRowsOptions
from ._source import ObjectSource, store_namespace
from ._store_index import USE_INDEX_FROM, IndexWritten, StoreIndex

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ExperimentRepository"]


class ExperimentRepository:
    """All experiments under a store prefix, sorted by tag (so chronologically).

    Args:
        prefix: ``s3://bucket/path/``, ``file:///path/`` or a directory; ``None`` resolves it like
            the writer does (``LAB_WORKBOOK_PREFIX``, ``~/.lab-workbook-config``, the built-in store).
        cache: keep downloaded objects on local disk (finished runs are then read with no request).
        max_workers: how many downloads run at once (``meld_csv``, ``runs``, segments).
        cache_max_bytes: size cap of the disk cache; least recently used objects are evicted.
        refresh_seconds: how long a listing, or the record of a run that is not over, is trusted.
        listing_max_age: accept the listing of run folders kept in the disk cache by the last
            reader of this store on this machine, if it is at most this many seconds old, instead
            of listing the store (a table of 100,000 kept rows then sends no request). Runs
            added or deleted since are not seen until it is older: a staleness you choose, as a
            tracking server's cache gives. ``None`` (the default): the configuration's
            (``listingMaxAge`` in the config file, ``LAB_WORKBOOK_LISTING_MAX_AGE``), and without
            one every reader lists the store; ``0`` lists the store whatever the configuration says.

    Attributes:
        config: the effective configuration (``config.sources`` says where the prefix came from).
        storage: the store; ``storage.requests`` counts the requests made, by kind.
    """

    def __init__(
        self,
        prefix: str | os.PathLike[str] | None = None,
        *,
        cache: bool = True,
        max_workers: int = 16,
        cache_max_bytes: int = DEFAULT_CACHE_BYTES,
        refresh_seconds: float = 5.0,
        listing_max_age: float | None = None,
    ) -> None:
        self.config = load_config(prefix)
        self.storage = open_storage(self.config)
        disk = DiskCache(store_namespace(self.config), max_bytes=cache_max_bytes) if cache else None
        self._source = ObjectSource(self.storage, disk, max_workers)
        self._index = StoreIndex(self._source, may_write=self.config.index_writes)
        self._refresh = refresh_seconds
        self._listing_max_age = self.config.listing_max_age if listing_max_age is None else listing_max_age
        self._kept_asked = False  # the kept listing is taken once, by the first listing
        self._tags: list[str] | None = None
        self._tag_set: frozenset[str] = frozenset()  # the same, for membership tests in O(1)
        self._listed_at = 0.0
        self._experiments: dict[str, Experiment] = {}
        self._lock = threading.Lock()

    @property
    def max_workers(self) -> int:
        """How many downloads run at once (the ``max_workers`` it was made with, at least 1)."""
        return self._source.max_workers

    # -- listing --------------------------------------------------------------------------
    def tags(self) -> list[str]:
        """Every experiment's tag, sorted (one paginated listing, reused for ``refresh_seconds``)."""
        with self._lock:
            if self._tags is None or time.monotonic() - self._listed_at >= self._refresh:
                listing = self._kept_listing() or list_runs(
                    self.storage, self._source.cache, self._indexed_tags, self._source.max_workers
                )
                self._tags = experiment_tags(listing.prefixes)
                self._tag_set = frozenset(self._tags)
                self._listed_at = time.monotonic()
            return self._tags

    def _kept_listing(self) -> Listing | None:
        """The listing kept on disk, when this reader accepts one of its age (``listing_max_age``), once:
        a listing made again (``refresh_seconds`` later, or after :meth:`refresh`) asks the store."""
        if not self._listing_max_age or self._kept_asked:  # None or 0: list the store
            return None
        self._kept_asked = True
        return kept_listing(self._source.cache, self._listing_max_age)

    def _indexed_tags(self) -> list[str]:
        """The tags the store's runs index holds (read now if not yet): cut points of a long listing."""
        self._index.load()
        return self._index.tags()

    def refresh(self) -> None:
        """Forget the remembered listing: the next access lists the store again."""
        with self._lock:
            self._tags, self._tag_set = None, frozenset()

    def experiment(self, tag: str) -> Experiment:
        """The experiment ``tag`` (same as ``wb[tag]``).

        Raises:
            ExperimentNotFound: no such experiment; the message names the closest tags.
        """
        validate_tag(tag)
        with self._lock:
            known = self._experiments.get(tag)
        if known is not None:
            return known
        if not is_experiment_folder(tag) or (tag not in self._tag_set and (known := self._probe(tag)) is None):
            self.refresh()
            candidates = self.tags()
            hint = closest(tag, candidates)
            maybe = (" Did you mean " + " or ".join(repr(h) for h in hint) + "?") if hint else ""
            raise ExperimentNotFound(
                f"no experiment {tag!r} in {self.storage.location}.{maybe} "
                f"There are {len(candidates)} experiments; list them with wb[:] or `lab-workbook list`."
            )
        return self._handle(tag) if known is None else known

    def _probe(self, tag: str) -> Experiment | None:
        """The experiment ``tag`` if the store holds it, else ``None``.

        One request (:meth:`Experiment.exists`): a cold run's record, which stays in the handle, so
        the load that usually follows (``wb[tag]["x.csv"]``) does not ask for it again.
        """
        probe = Experiment(self._source, tag, refresh_seconds=self._refresh)
        if not probe.exists():
            return None
        with self._lock:
            return self._experiments.setdefault(tag, probe)

    def _handle(self, tag: str) -> Experiment:
        with self._lock:
            if tag not in self._experiments:
                self._experiments[tag] = Experiment(self._source, tag, refresh_seconds=self._refresh)
            return self._experiments[tag]

    @overload
    def __getitem__(self, key: str) -> Experiment: ...
    @overload
    def __getitem__(self, key: int) -> Experiment: ...
    @overload
    def __getitem__(self, key: slice) -> ExperimentList: ...
    @overload
    def __getitem__(self, key: tuple[str | int, ...]) -> ExperimentTuple: ...
    def __getitem__(self, key: Any) -> Any:
        """``wb["tag"]``, ``wb[0]``, ``wb[-5:]`` (a list) or ``wb["tagA", "tagB"]`` (a tuple)."""
        if isinstance(key, str):
            return self.experiment(key)
        if isinstance(key, tuple):
            return ExperimentTuple(self[k] for k in key)
        if isinstance(key, slice):
            return ExperimentList(self._handle(t) for t in self.tags()[key])
        if isinstance(key, int):
            tags = self.tags()
            try:
                return self._handle(tags[key])
            except IndexError:
                raise IndexError(f"experiment index {key} out of range: there are {len(tags)} experiments") from None
        raise TypeError(f"index experiments with a tag, an int, a slice or a tuple of tags, not {type(key).__name__}")

    def __contains__(self, tag: object) -> bool:
        if not isinstance(tag, str):
            return False
        self.tags()
        return tag in self._tag_set

    def __len__(self) -> int:
        return len(self.tags())

    def __iter__(self) -> Iterator[Experiment]:
        return iter(self[:])

    def __repr__(self) -> str:
        return f"<ExperimentRepository: {self.storage.location}>"

    # -- analysis -------------------------------------------------------------------------
    def meld_csv(
        self,
        experiments: Mapping[str, Any] | Iterable[str | Experiment],
        artifact: str,
        field: str,
        *,
        strict: bool = False,
    ) -> pd.DataFrame:
        """One column of ``field`` per experiment, on the sorted union of the first field's values.

        A run whose series cannot be parsed (cut short, edited, not a CSV) is left out, with one
        :class:`~lab_workbook.UnreadableRunsWarning` naming every such run and why, so
        that one damaged run does not stop the comparison of the others.

        Args:
            experiments: ``{tag: label}`` (columns are labelled and ordered as the mapping), or a
                list of tags or experiments (labels are the tags).
            artifact: the series, e.g. ``"Training loss.csv"``.
            field: the column to take from each, e.g. ``"loss"``.
            strict: raise the first run's :class:`CorruptArtifactError` instead of leaving it out.

        Raises:
            ArtifactNotFound: a run has no such series; ``NotFoundError``: no such field.
        """
        from ._meld import meld_csv

        return meld_csv(self, experiments, artifact, field, strict=strict)

    def image_grid(
        self,
        experiments: Mapping[str, Any] | Iterable[str | Experiment],
        name: str,
        steps: Sequence[int] | None = None,
        *,
        max_steps: int = 6,
        size: float = 2.0,
    ) -> Any:
        """A matplotlib figure of an image series: one row per run, one column per step.

        Args:
            experiments: ``{tag: label}`` (rows labelled and ordered as the mapping), or tags or experiments.
            name: the image series (``save_image(name, ..., step=...)``), e.g. ``"samples"``.
            steps: the steps to show; default: up to ``max_steps`` spread over all runs' steps,
                first and last included. A run without a step shows an empty cell.
            size: inches per cell.
        """
        from ._image_grid import image_grid

        return image_grid(self, experiments, name, steps, max_steps=max_steps, size=size)

    def runs(
        self,
        params: str | None = "parameters.json",
        series: Mapping[str, str | Sequence[str]] | None = None,
        *,
        best: str | Mapping[str, str] = "min",
        tag_prefix: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        status: str | Iterable[str] | None = None,
        strict: bool = False,
    ) -> pd.DataFrame:
        """The runs table: one row per experiment (see :mod:`lab_workbook._runs` and ``docs/reader.md``).

        A run whose data cannot be read (status ``unreadable``, or a parameters file or series
        that cannot be parsed) keeps its row, with NaN where data is missing and the reasons in
        the ``problem`` column (``""`` for a healthy run); one
        :class:`~lab_workbook.UnreadableRunsWarning` names every such run. With
        ``strict=True`` the first such run raises :class:`CorruptArtifactError` instead.
        """
        # The store answers the listing on a thread meanwhile: the first table in a process
        # imports pandas (half a second on a slow core), then reads the remembered rows.
        with ThreadPoolExecutor(1, thread_name_prefix="lab-workbook-listing") as pool:
            listed = pool.submit(self.tags)
            from ._runs import runs_table

            return runs_table(
                self,
                listed.result,
                params=params,
                series={"Testing Error.csv": "error"} if series is None else series,
                best=best,
                tag_prefix=tag_prefix,
                since=since,
                until=until,
                status=status,
                strict=strict,
            )

    def read_records(self, tags: Iterable[str]) -> list[Experiment]:
        """The experiments of ``tags``, in order, with their run records read now, concurrently.

        A finished run's record already on disk, or held by the store's runs index (read first
        when there are many records to fetch), costs nothing and no thread; the others are
        fetched ``max_workers`` at once. Afterwards each experiment's status, times and
        description answer without a request (a run that is not over: for ``refresh_seconds``).

        Raises:
            ExperimentNotFound: a tag that is not in the store.
        """
        experiments = self._experiments_of(tags)
        if len(self._unknown(experiments)) >= USE_INDEX_FROM:
            self._index.load()
        fetched = self._unknown(experiments)
        concurrent_map(lambda e: e.status, fetched, self._source.max_workers)
        for exp in fetched:
            if exp.status in FINAL_STATUSES and not exp.problems and not self._index.holds(exp.tag):
                self._index.note_read(exp.tag, exp.record)
        return experiments

    def finished_rows(
        self,
        name: str,
        tags: Iterable[str],
        row: Callable[[Experiment], dict[str, Any] | None],
        *,
        indexed: IndexedRow | None = None,
    ) -> list[dict[str, Any] | None]:
        """``row(experiment)`` for each of ``tags``, in order, remembered for finished runs.

        A finished run never changes, so neither does a row worked out from it: the rows of
        finished runs are kept under ``name``, in memory and in the disk cache (one file per
        store and name, written by :meth:`save_cache`). A later call, in this process or a new
        one, costs a dictionary lookup per finished run and calls ``row`` only for the others
        (running runs, new runs, and runs with :attr:`~lab_workbook.Experiment.problems`, such
        as a damaged series: read again in case they were repaired). :meth:`run_rows`, the
        pipeline of the runs table and ``lab-workbook list``, is built this way.

        Rows are worked out concurrently (``max_workers`` at once), except for runs whose
        record is already on disk: those need no request and no thread. With no tags, the
        call only reads the kept rows from disk: :meth:`run_rows` does that while the store
        answers the listing on another thread.

        Args:
            name: what the rows are, and the version of the code that makes them. It must
                change whenever ``row`` would give a different answer (``"mytable 2 loss"``).
            tags: the runs.
            row: makes one run's row: a dict that JSON can hold, or ``None`` (not remembered,
                e.g. a run the caller filters out before reading more).
            indexed: makes a finished run's row straight from its record as the store's runs index
                holds it (``indexed(tag, decoded record)``: no experiment is made, no request sent;
                100,000 rows in seconds), or ``None`` for a run to make with ``row`` after all.

        Raises:
            ExperimentNotFound: a tag that is not in the store (a kept row is returned only for a
                run the store still lists).
            TypeError: a finished run's row that JSON cannot hold (the message names the run).
        """
        index = self._source.rows(name)
        tags = list(tags)
        index.load()
        if not tags:  # only read the kept rows: a caller waiting for the listing on another thread
            return []
        listed = self._listed()  # a kept row of a run no longer in the store is not returned
        rows: list[dict[str, Any] | None] = [index.get(tag) if tag in listed else None for tag in tags]
        if indexed is not None:
            self._rows_from_index(tags, rows, indexed, listed)
            for tag, mine in zip(tags, rows, strict=True):
                if mine is not None and index.get(tag) is None:
                    index.add(tag, dict(mine))  # a finished run's, made from its indexed record: kept
        missing = self._experiments_of(t for t, r in zip(tags, rows, strict=True) if r is None)
        if len(self._unknown(missing)) >= USE_INDEX_FROM:  # many records to fetch: the runs index may hold them
            self._index.load()
        fetch = self._unknown(missing)
        made = dict(zip((e.tag for e in fetch), concurrent_map(row, fetch, self._source.max_workers), strict=True))
        keep: list[tuple[str, dict[str, Any]]] = []
        for exp in missing:
            made[exp.tag] = mine = made[exp.tag] if exp.tag in made else row(exp)
            # A run with a problem (an unreadable record, a damaged series) is made again next time.
            if exp.status in FINAL_STATUSES and not exp.problems:
                if not self._index.holds(exp.tag):
                    self._index.note_read(exp.tag, exp.record)
                if mine is not None:
                    keep.append((exp.tag, mine))
        _check_rows(keep, name)
        for tag, mine in keep:
            index.add(tag, dict(mine))
        result = [made[t] if kept is None else kept for t, kept in zip(tags, rows, strict=True)]
        return [dict(r) if r is not None else None for r in result]  # copies: a caller may change its rows

    def _rows_from_index(
        self, tags: list[str], rows: list[dict[str, Any] | None], indexed: IndexedRow, listed: frozenset[str]
    ) -> None:
        """Fill in ``rows`` (``None``: no kept row) with rows made by ``indexed`` from the runs index."""
        todo = [i for i, r in enumerate(rows) if r is None and tags[i] in listed]
        if len(todo) < USE_INDEX_FROM and not self._index.loaded:
            return
        self._index.load()
        for i in todo:
            decoded = self._index.decoded(tags[i])
            if decoded is not None:
                rows[i] = indexed(tags[i], decoded)

    def run_rows(
        self, name: str, row: Callable[[Experiment], dict[str, Any] | None], **options: Unpack[RunRowsOptions]
    ) -> RunRows:
        """The rows of the runs that pass the filters, newest first, in chunks: the runs table's,
        ``lab-workbook list``'s and the dashboard's pipeline (:mod:`lab_workbook._run_rows`).

        Iterate over the result for one list of rows per chunk of runs (``chunk`` runs, then twice
        as many each time), and stop when you have enough: older runs are then never read. Runs
        whose tag rules them out cost nothing; the others are filtered before ``row`` is called
        (by status and start) and their rows after (by the row's own ``status`` and ``started``,
        so kept rows obey the filters too). Finished runs' rows are kept as
        :meth:`finished_rows` keeps them, and written to the disk cache when the iteration ends.

        Args:
            name: what the rows are, and the version of the code that makes them (as for
                :meth:`finished_rows`).
            row: makes one run's row: a dict that JSON can hold, with ``status`` and ``started``
                (ISO 8601 in UTC, or ``None``) when filtering by them, or ``None`` to leave the run out.
            since: only runs started at or after this moment (a naive time is UTC).
            until: only runs started at or before this moment.
            status: only runs with this status, or one of these.
            tag_prefix: only runs whose tag starts with this.
            chunk: runs in the first chunk (default 32); ``None``: every run in one chunk.
            newest_first: ``False`` visits the runs in tag order instead (oldest first); default ``True``.
            listed: the store's tags, when the caller is getting them already (e.g. a future's
                ``result`` for :meth:`tags` sent on a thread); default: :meth:`tags`, sent on a
                thread while the kept rows are read.
            indexed: makes a finished run's row straight from the runs index (as for :meth:`finished_rows`).

        Raises:
            ValueError: ``chunk`` is not a positive number.

        Every option is keyword-only and may be left out (no filter; the defaults above).
        """
        return RunRows(self, name, row, **options)

    def update_index(self) -> IndexWritten | None:
        """Write a runs index object if this reader has read enough finished runs no index holds.

        The pipeline of run rows calls it when a table is made: after
        :data:`~lab_workbook_core.runs_index.WRITE_AFTER` such runs (1,000), one object holding
        them goes to the store (``docs/format.md``, "The runs index"), so that the next reader,
        anywhere, fetches it instead of their records. Not with ``indexWrites = off`` (or
        ``LAB_WORKBOOK_INDEX_WRITES=off``), nor after the store refused a write (a read-only
        credential or folder: one line at debug level). Never raises a storage error.

        Returns:
            What was written, or ``None`` when no write was due.
        """
        if not self._index.due():
            return None
        return self._index.write(self._listed())

    def write_index(self, *, rebuild: bool = False) -> IndexWritten:
        """Index every finished run of the store that no runs index object holds (``lab-workbook index``).

        Lists the store, reads the records of the runs the index does not hold, and writes one
        object for the finished ones (merging the index's objects into it once there are many).
        Written whatever ``indexWrites`` says.

        Args:
            rebuild: write a new generation of the index holding every finished run listed now,
                read from its record (one GET per run: the index is not trusted), which replaces
                every older object (then deleted): after runs were deleted by hand, or an index
                object was damaged.

        Raises:
            StorageError: the store refused the write (:class:`~lab_workbook.AccessDenied` for a
                read-only credential or folder) or could not be read.
        """
        self.refresh()
        tags = self.tags()
        if rebuild:
            return self._index.rebuild(tags)
        self._index.load()
        todo = [t for t in tags if not self._index.holds(t)]
        for exp in self.read_records(todo):  # runs known on disk were not fetched: noted here
            if exp.status in FINAL_STATUSES and not exp.problems:
                self._index.note_read(exp.tag, exp.record)
        self.save_cache()
        return self._index.write(tags, explicit=True)

    def _listed(self) -> frozenset[str]:
        """The tags of the listing made, however old, or of a new one if there is none."""
        if self._tags is None:  # a listing tells every tag at once, instead of a probe per tag; one made
            self.tags()  # earlier serves even if old (`list` reads chunks for longer than refresh_seconds)
        return self._tag_set

    def _experiments_of(self, tags: Iterable[str]) -> list[Experiment]:
        self._listed()
        return [self.experiment(tag) for tag in tags]

    def _unknown(self, experiments: list[Experiment]) -> list[Experiment]:
        """The experiments whose run record has to be fetched (not a finished run's known on disk)."""
        index = self._source.records
        return [e for e in experiments if index is None or index.get(e.tag) is None]

    def save_cache(self) -> None:
        """Write the records and rows of finished runs read so far to the disk cache now.

        ``runs()`` and ``lab-workbook list`` do this when they are done, and the interpreter
        at exit: then a new process reads them from one local file each, with no request.
        """
        self._source.save_indexes()

    def clear_cache(self) -> None:
        """Delete the local disk cache (of every store): the next loads download again."""
        clear_cache(self._source.cache.root if self._source.cache is not None else None)
        self._source.forget_indexes()


def _check_rows(rows: list[tuple[str, dict[str, Any]]], name: str) -> None:
    """Rows to keep must be JSON: one encoding of them all (10,000 calls cost 0.4 s), and each on its
    own only to name the run whose row is not."""
    try:
        json.dumps([row for _, row in rows])
    except (TypeError, ValueError):
        for tag, row in rows:
            _check_json(row, name, tag)
        raise


def _check_json(row: dict[str, Any], name: str, tag: str) -> None:
    """A row to keep must be JSON: say so now, at the caller, not at some later save."""
    try:
        json.dumps(row)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"finished_rows({name!r}): the row of {tag} cannot be kept as JSON ({err}); "
            "return str, int, float, bool, None, lists and dicts of them"
        ) from err
