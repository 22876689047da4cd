"""Answers about ended runs, kept: what does not change is computed once per dashboard.

A run a writer closed (core's ``RunRecord.has_ended``: finished, failed or interrupted)
holds what it will hold until it is resumed, and resuming it rewrites its record. So an
answer computed only from ended runs (the curves of a panel group, the fields they have)
is kept under its request and the records it was made at (each run's status, end,
heartbeat, nonce and attempts): opening the page again, another tab, or a poll is sent the
text already made instead of loading, reducing and encoding the series again, until a
record changes. The reader notices a changed record as it does for its own use (a
finished record never changes; another one is read again after ``refresh_seconds``). An
answer involving a run still going (or crashed: its writer may still be writing) is
always computed afresh. Kept answers are bounded by their total size, the least recently
used dropped first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lab_workbook import ExperimentRepository

__all__ = ["FinishedAnswers"]

#: Characters of answers kept: about 64 answers of 160 panel curves each (1 MB apiece).
DEFAULT_LIMIT = 64_000_000


def ended_records(wb: ExperimentRepository, tags: Sequence[str]) -> tuple[Hashable, ...] | None:
    """What identifies the records of ``tags`` when every run has ended, else ``None`` (one may still change)."""
    found: list[Hashable] = []
    for tag in tags:
        record = wb.experiment(tag).record
        if record is None or not record.has_ended:
            return None
        found.append((record.status, record.ended, record.heartbeat, record.nonce, len(record.attempts or ())))
    return tuple(found)


class FinishedAnswers:
    """JSON answers computed from ended runs only, by request and records, bounded in total size.

    Args:
        limit: the most characters kept (the answers' total length).
    """

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._limit = limit
        self._kept: OrderedDict[Hashable, str] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, wb: ExperimentRepository, tags: Sequence[str], key: Hashable, make: Callable[[], str]) -> str:
        """The answer for ``key``: the one kept when every run of ``tags`` has ended with the records
        it was made at, else ``make()``'s (kept when they had all ended before it was made)."""
        records = ended_records(wb, tags)
        if records is None:
            return make()
        full = (key, records)
        with self._lock:
            kept = self._kept.get(full)
            if kept is not None:
                self._kept.move_to_end(full)
                return kept
        answer = make()
        if len(answer) <= self._limit:
            with self._lock:
                if full not in self._kept:
                    self._kept[full] = answer
                    self._size += len(answer)
                while self._size > self._limit:
                    _, dropped = self._kept.popitem(last=False)
                    self._size -= len(dropped)
        return answer
