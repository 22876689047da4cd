"""What the CLI shows about a run, computed once for ``list`` and ``show``.

Only presentation: the status, times and artifact names come from the reader's
:class:`~lab_workbook.Experiment`; this module puts them into one dict whose keys
are the ``--json`` contract (ISO 8601 UTC strings, durations in seconds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from lab_workbook.records import FINAL_STATUSES

from .output import iso

if TYPE_CHECKING:
    from lab_workbook import Experiment

__all__ = ["in_parallel", "run_summary"]

T = TypeVar("T")
R = TypeVar("R")
_WORKERS = 16


def run_summary(exp: Experiment) -> dict[str, Any]:
    """Tag, status, start, end, duration, description and artifact count of one run.

    ``problem`` says why the run record cannot be read (status ``unreadable``), else ``None``.
    ``duration_seconds`` runs to the end, or for a run without an end (running or
    crashed) to its last heartbeat; ``None`` without a run record. A finished run whose
    record carries a summary (written by the writer at close) lists its artifacts in the
    record, so it costs one GET, or none once its record is cached.
    """
    duration = exp.duration
    info = exp.info
    saved = info.get("artifacts")
    if info.get("status") in FINAL_STATUSES and isinstance(info.get("summary"), dict) and isinstance(saved, dict):
        count = len(saved)  # complete in a final record that has a summary: no listing needed
    else:
        count = len(exp.list_artifacts())
    return {
        "tag": exp.tag,
        "status": exp.status,  # "unreadable" for a damaged run record: listed, never hiding the others
        "problem": exp.problem,
        "started": iso(exp.started),
        "ended": iso(exp.ended),
        "duration_seconds": duration.total_seconds() if duration is not None else None,
        "description": exp.description,
        "artifacts": count,
    }


def in_parallel(function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``map(function, items)`` on a thread pool (each call is a request or two), in order."""
    items = list(items)
    if len(items) <= 1:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(max_workers=min(_WORKERS, len(items))) as pool:
        yield from pool.map(function, items)
