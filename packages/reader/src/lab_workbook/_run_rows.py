"""One pipeline of run rows: what ``wb.runs()``, ``lab-workbook list`` and the dashboard's table are made of.

A caller says what one run's row is (``row(experiment)``: a dict JSON can hold, or ``None``)
and which runs it wants; :class:`RunRows` does the rest, the same way for every table:

1. it lists the store on a thread while it reads the kept rows of finished runs from disk
   (:meth:`~lab_workbook.ExperimentRepository.finished_rows`);
2. before any request, it drops the runs whose tag rules them out: another ``tag_prefix``, or a
   generated tag whose minute is clearly outside ``since``/``until`` (core's
   :func:`~lab_workbook_core.tags.made_before` and :func:`~lab_workbook_core.tags.made_after`);
3. it visits the others newest first, a chunk at a time (32 runs, then 64, 128...), so that a
   caller wanting the newest few stops early and 10,000 runs still make only nine thread pools;
   a finished run's kept row costs a dictionary lookup, the others are made concurrently;
4. it applies the filters to a run before its row is made (its status, and its start: the run
   record's, else the tag's minute, :func:`run_started`), so a run filtered out costs no more
   than its record and leaves no row; then again to every row, kept rows included, by the row's
   own ``status`` and ``started`` (an ISO 8601 string, or ``None``);
5. every row it makes has ``attempts``, a plain integer: how many processes the run lived through
   (1 for a run never resumed, core's :func:`~lab_workbook_core.attempts.attempt_count`), unless
   the caller's row already says.

A chunk with 32 records or more to fetch reads the store's runs index first (``docs/format.md``,
"The runs index"): the records it holds cost no request. When the iteration ends (every chunk
read, or the caller stopped), the rows of finished runs made meanwhile are written to the disk
cache (:meth:`~lab_workbook.ExperimentRepository.save_cache`): the next table, in any process,
reads them from one local file; and after 1,000 finished runs read that no index object holds,
one is written (:meth:`~lab_workbook.ExperimentRepository.update_index`): the next reader,
anywhere, fetches it instead of their records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict

from lab_workbook_core.attempts import attempt_count
from lab_workbook_core.record import parse_time
from lab_workbook_core.tags import made_after, made_before, tag_minute

if TYPE_CHECKING:
    from ._experiment import Experiment
    from ._repository import ExperimentRepository

__all__ = ["ATTEMPTS_COLUMN", "FIRST_CHUNK", "IndexedRow", "RunRows", "RunRowsOptions", "run_started"]

#: A row made straight from a run's record as the store's runs index holds it (decoded JSON), with
#: no request and no :class:`~lab_workbook.Experiment`; ``None`` to make it the usual way.
IndexedRow = Callable[[str, Mapping[str, Any]], dict[str, Any] | None]

#: The column of every row: how many attempts the run had (an integer, 1 for a run never resumed).
ATTEMPTS_COLUMN = "attempts"

#: How many of the newest runs the first chunk holds; each later chunk holds twice as many as the last.
FIRST_CHUNK = 32


def run_started(exp: Experiment) -> datetime | None:
    """When the run started as far as a table can tell: its record's ``started``, else its tag's minute.

    A run of the original tool has no record, and a damaged record tells nothing; a generated
    tag still names the minute the run began. ``None`` for a user's tag without a record.
    """
    return exp.started or tag_minute(exp.tag)


@dataclass(frozen=True)
class _Filter:
    """Which runs a table wants; ``None`` lets everything through."""

    since: datetime | None
    until: datetime | None
    statuses: frozenset[str] | None
    tag_prefix: str | None

    def admits_tag(self, tag: str) -> bool:
        """False for a run its tag alone rules out (no request needed)."""
        if self.tag_prefix and not tag.startswith(self.tag_prefix):
            return False
        if self.since is not None and made_before(tag, self.since):
            return False
        return not (self.until is not None and made_after(tag, self.until))

    def admits(self, status: str, started: datetime | None) -> bool:
        if self.statuses is not None and status not in self.statuses:
            return False
        if self.since is not None and (started is None or started < self.since):
            return False
        return self.until is None or (started is not None and started <= self.until)

    def admits_row(self, row: Mapping[str, Any]) -> bool:
        """A row (made now or kept) by its own ``status`` and ``started``."""
        if self.since is None and self.until is None:
            return self.statuses is None or row["status"] in self.statuses
        return self.admits(row["status"], parse_time(row["started"]))


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class RunRowsOptions(TypedDict, total=False):
    """What :meth:`~lab_workbook.ExperimentRepository.run_rows` passes on to :class:`RunRows` (see there)."""

    since: datetime | None
    until: datetime | None
    status: str | Iterable[str] | None
    tag_prefix: str | None
    chunk: int | None
    newest_first: bool
    listed: Callable[[], Sequence[str]] | None
    indexed: IndexedRow | None


class RunRows:
    """The rows of a store's runs that pass some filters, newest first, a chunk at a time.

    Iterating lists the store and yields one list of rows per chunk of runs (an empty list when
    no run of the chunk passes the filters); :attr:`remaining` then says how many runs, after
    the filters on tags, are still to be read. Each iteration lists and reads again. Made by
    :meth:`~lab_workbook.ExperimentRepository.run_rows`, whose arguments these are.

    Attributes:
        name: the kept rows' name (:meth:`~lab_workbook.ExperimentRepository.finished_rows`).
        remaining: runs not read yet by the current iteration (``None`` before it lists).
    """

    def __init__(
        self,
        repository: ExperimentRepository,
        name: str,
        row: Callable[[Experiment], dict[str, Any] | None],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        status: str | Iterable[str] | None = None,
        tag_prefix: str | None = None,
        chunk: int | None = FIRST_CHUNK,
        newest_first: bool = True,
        listed: Callable[[], Sequence[str]] | None = None,
        indexed: IndexedRow | None = None,
    ) -> None:
        if chunk is not None and chunk < 1:
            raise ValueError(f"chunk must be a positive number of runs, or None for every run at once, not {chunk}")
        statuses = None if status is None else frozenset([status] if isinstance(status, str) else status)
        self.name = name
        self.remaining: int | None = None
        self._repository = repository
        self._row = row
        self._filter = _Filter(_utc(since), _utc(until), statuses, tag_prefix)
        self._chunk = chunk
        self._newest_first = newest_first
        self._listed = listed
        self._indexed = indexed

    def _make(self, exp: Experiment) -> dict[str, Any] | None:
        """The caller's row, for a run that passes the filters (checked first: no more is read otherwise)."""
        if not self._filter.admits(exp.status, run_started(exp)):
            return None
        row = self._row(exp)
        if row is not None and ATTEMPTS_COLUMN not in row:
            row[ATTEMPTS_COLUMN] = attempt_count(exp.record)
        return row

    def _tags(self) -> list[str]:
        """The store's tags that the filters on tags let through, read while the kept rows are."""
        if self._listed is not None:
            self._repository.finished_rows(self.name, [], self._make)
            listed = self._listed()
        else:
            with ThreadPoolExecutor(1, thread_name_prefix="lab-workbook-listing") as pool:
                listing = pool.submit(self._repository.tags)
                self._repository.finished_rows(self.name, [], self._make)  # reads the kept rows meanwhile
                listed = listing.result()
        tags = [t for t in listed if self._filter.admits_tag(t)]
        return tags[::-1] if self._newest_first else tags

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        tags = self._tags()
        self.remaining = len(tags)
        size = self._chunk or max(len(tags), 1)
        try:
            while tags:
                part, tags = tags[:size], tags[size:]
                made = self._repository.finished_rows(self.name, part, self._make, indexed=self._indexed)
                self.remaining = len(tags)
                yield [r for r in made if r is not None and self._filter.admits_row(r)]
                size *= 2  # few thread pools for 10,000 runs; little read past what a small table needs
        finally:
            self._repository.save_cache()  # the next table, in any process, reads the kept rows from disk
            self._repository.update_index()  # the next reader, anywhere, fetches the records in a few objects
