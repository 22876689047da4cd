"""What is wrong with a run, as far as it has been read: its problems, each under what it concerns.

A run can have several problems at once: a damaged run record (then its status is
``unreadable``), a series that cannot be parsed, an artifact whose bytes do not match the
record's sha256. Each is kept under what it concerns (:data:`RECORD`, or an artifact's
name), so that reading that part again successfully clears it, and a runs table, ``lab-workbook
list``/``show`` and the dashboard show them all, record first. A run with a problem is
never remembered as finished (:meth:`~lab_workbook.ExperimentRepository.finished_rows`): it is
read again next time, in case it was repaired.
"""

from __future__ import annotations

import threading

__all__ = ["RECORD", "RunProblems", "UnreadableRunsWarning"]

#: What a problem of the run record is kept under (no artifact can have this name: it is reserved).
RECORD = ".lab-workbook/run.json"


class UnreadableRunsWarning(UserWarning):
    """Some runs' data could not be read and were left out (``meld_csv``) or shown without it (``runs``).

    The warning names each run and why; ``strict=True`` raises the first
    :class:`~lab_workbook.CorruptArtifactError` instead.
    """


class RunProblems:
    """``{what: why}`` for one run, safe to share between threads (a runs table reads runs concurrently)."""

    def __init__(self) -> None:
        self._found: dict[str, str] = {}
        self._lock = threading.Lock()

    def note(self, where: str, message: str) -> None:
        """Record (or replace) the problem of ``where``."""
        with self._lock:
            self._found[where] = message

    def clear(self, where: str) -> None:
        """``where`` was read without a problem."""
        with self._lock:
            self._found.pop(where, None)

    def get(self, where: str) -> str | None:
        """The problem of ``where``, if there is one."""
        with self._lock:
            return self._found.get(where)

    def messages(self) -> list[str]:
        """Every problem, the run record's first, then in the order they were found."""
        with self._lock:
            record = [self._found[RECORD]] if RECORD in self._found else []
            return record + [message for where, message in self._found.items() if where != RECORD]
