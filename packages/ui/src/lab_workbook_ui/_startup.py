"""The dashboard's repository, opened while the server already answers, and the tables read ahead.

Opening a repository on S3 imports boto3 and makes a client: about a second in a new
process. ``lab-workbook ui`` does that, then lists the store and reads the table's
first page, on a thread, while the browser opens and loads the page and its scripts;
the first API request waits for what is still missing instead of starting it again.
The whole table is read next, once the page has its first page.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
import threading

from lab_workbook import ExperimentRepository

from ._tables import RunsTables

__all__ = ["RepositorySlot", "read_ahead"]

logger = logging.getLogger(__name__)


class RepositorySlot:
    """An :class:`~lab_workbook.ExperimentRepository` that may still be opening on a thread.

    Args:
        make: opens the repository.
        background: open it on a thread (``get`` waits for it) rather than now.
        then: run on the same thread once it is open (reading the tables ahead); its errors
            are only logged, the page's own requests report them.
    """

    def __init__(
        self,
        make: Callable[[], ExperimentRepository],
        *,
        background: bool,
        then: Callable[[ExperimentRepository], None] | None = None,
    ) -> None:
        self._make = make
        self._then = then
        self._ready = threading.Event()
        self._repository: ExperimentRepository | None = None
        self._error: BaseException | None = None
        if background:
            threading.Thread(target=self._open, name="lab-workbook-ui-open", daemon=True).start()
        else:
            self._repository = make()
            self._ready.set()
            if then is not None:
                threading.Thread(target=self._warm, name="lab-workbook-ui-warm-up", daemon=True).start()

    def _open(self) -> None:
        try:
            self._repository = self._make()
        except BaseException as err:  # reported to every request by get()
            self._error = err
        finally:
            self._ready.set()
        if self._repository is not None and self._then is not None:
            self._warm()

    def _warm(self) -> None:
        assert self._then is not None and self._repository is not None
        try:
            self._then(self._repository)
        except Exception:
            logger.debug("reading the runs tables ahead failed", exc_info=True)

    def get(self) -> ExperimentRepository:
        """The repository (waiting while it opens); the error that opening it raised, if any."""
        self._ready.wait()
        if self._error is not None:
            raise self._error
        assert self._repository is not None
        return self._repository


def read_ahead(tables: RunsTables, first_page: int, wait: float = 10.0) -> Callable[[ExperimentRepository], None]:
    """What the page asks for first: the newest ``first_page`` runs, then every run (default columns).

    Every run is read only once the page has had its first table (or after ``wait`` seconds):
    before, that work would compete with the page's own first request for the interpreter.
    """

    def run(wb: ExperimentRepository) -> None:
        tables.json(wb, [], newest=first_page)
        tables.answered.wait(wait)
        tables.json(wb, [])

    return run
