"""What is wrong with a run, as far as it has been read: its problems, each under what it concerns.

A run can have several problems at once: a damaged run record (then its status is
``unreadable``), a series that cannot be parsed, an artifact whose bytes do not match the
record's sha256. Each is kept under what it concerns (:data:`RECORD`, or an artifact's name)
and the check that found it (:data:`PARSE` for the loaders), so that one check passing never
clears another's finding, and reading that part again without a problem clears its entry. A
runs table, ``lab-workbook list``/``show`` and the dashboard show them all, the record's first.
A run with a problem is never remembered as finished
(:meth:`~lab_workbook.ExperimentRepository.finished_rows`): it is read again next time, in
case it was repaired.
"""

from __future__ import annotations

import threading

from lab_workbook_core.keys import RESERVED_DIR

__all__ = ["PARSE", "RECORD", "SHA256", "RunProblems", "RunsIndexWarning", "UnreadableRunsWarning"]

#: What a problem of the run record is kept under: the reserved folder it is in, which no
#: artifact can be named (``lab_workbook_core.keys.is_reserved``).
RECORD = RESERVED_DIR
#: The check of the loaders: the bytes can be parsed as their kind.
PARSE = "parse"
#: The check of bytes loaded whole against the SHA-256 the finished run's record lists.
SHA256 = "sha256"


class UnreadableRunsWarning(UserWarning):
    """Some runs' data could not be read and were left out (``meld_csv``) or shown without it (``runs``).

    The warning names each run and why; ``strict=True`` raises the first
    :class:`~lab_workbook.CorruptArtifactError` instead.
    """


class RunsIndexWarning(UserWarning):
    """An object of the store's runs index could not be read: it is ignored, and the runs it
    holds are read directly (slower, never wrong). ``lab-workbook index --rebuild`` replaces it."""


class RunProblems:
    """``{(what, check): why}`` for one run, safe to share between threads (a runs table reads runs
    concurrently)."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def note(self, where: str, check: str, message: str) -> None:
        """Record (or replace) what ``check`` found wrong with ``where``."""
        with self._lock:
            self._found[where, check] = message

    def clear(self, where: str, check: str) -> None:
        """``check`` found nothing wrong with ``where`` this time."""
        with self._lock:
            self._found.pop((where, check), None)

    def get(self, where: str, check: str) -> str | None:
        """What ``check`` found wrong with ``where``, if anything."""
        with self._lock:
            return self._found.get((where, check))

    def messages(self) -> list[str]:
        """Every problem, the run record's first, then in the order they were found."""
        with self._lock:
            found = list(self._found.items())
        return [message for (where, _), message in found if where == RECORD] + [
            message for (where, _), message in found if where != RECORD
        ]
