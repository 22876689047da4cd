"""What the CLI shows about a run, computed once for ``list`` and ``show``.

Only presentation: the status, times and artifact names come from the reader's
:class:`~lab_workbook.Experiment`; this module puts them into one dict whose keys
are the ``--json`` contract (ISO 8601 UTC strings, durations in seconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lab_workbook_core.attempts import attempt_count, record_parent
from lab_workbook_core.record import FINISHED, record_problems
from lab_workbook_core.times import parse_time

from ._output import iso

if TYPE_CHECKING:
    from lab_workbook import Experiment

__all__ = ["indexed_summary", "run_summary"]


def run_summary(exp: Experiment) -> dict[str, Any]:
    """Tag, status, start, end, duration, attempts, parent, description and artifact count of one run.

    ``problem`` says why the run record cannot be read (status ``unreadable``), else ``None``.
    ``duration_seconds`` runs to the end, or for a run without an end (running or
    crashed) to the newest thing it wrote (heartbeat or series segment); ``None`` without a run record. A finished run whose
    record carries a summary (written by the writer at close) lists its artifacts in the
    record, so it costs one GET, or none once its record is cached. ``attempts`` counts the
    processes the run lived through (1 unless it was resumed); ``parent`` is ``{"tag", "step"}``
    for a run forked from another (``new_experiment(fork=TAG)``), else ``None``.
    """
    duration = exp.duration
    parent = exp.parent
    record = exp.record
    saved = record.complete_artifacts() if record is not None else None  # a final record with a summary lists
    # them all: no listing needed
    count = len(saved) if saved is not None else len(exp.list_artifacts())
    return {
        "tag": exp.tag,
        "status": exp.status,  # "unreadable" for a damaged run record: listed, never hiding the others
        "problem": exp.problem,
        "started": iso(exp.started),
        "ended": iso(exp.ended),
        "duration_seconds": duration.total_seconds() if duration is not None else None,
        "attempts": attempt_count(record),
        "parent": {"tag": parent.tag, "step": parent.step} if parent is not None else None,
        "description": exp.description,
        "artifacts": count,
    }


def indexed_summary(tag: str, record: Mapping[str, Any]) -> dict[str, Any] | None:
    """:func:`run_summary`'s dict, straight from a finished run's record as the store's runs index holds
    it (decoded JSON): no experiment, no request, no typed record, so ``list --limit 0`` over 100,000
    indexed runs costs a dictionary per run.

    ``None`` (make it with :func:`run_summary`) unless the record alone answers every key as
    :func:`run_summary` would: a valid record (core's :func:`~lab_workbook_core.record.record_problems`)
    of this run, finished, with a summary and its complete ``artifacts``, and an ``ended`` when it
    has a ``started`` (without one, the reader's duration lists the run's series segments).
    """
    artifacts = record.get("artifacts")
    if (
        record.get("status") != FINISHED
        or record.get("tag") not in (None, tag)
        or not isinstance(record.get("summary"), Mapping)
        or not isinstance(artifacts, Mapping)
        or record_problems(record)
    ):
        return None
    started, ended = parse_time(record.get("started")), parse_time(record.get("ended"))
    if started is not None and ended is None:
        return None
    parent = record_parent(record)
    return {
        "tag": tag,
        "status": FINISHED,
        "problem": None,
        "started": iso(started),
        "ended": iso(ended),
        "duration_seconds": (ended - started).total_seconds() if started is not None and ended is not None else None,
        "attempts": attempt_count(record),
        "parent": {"tag": parent.tag, "step": parent.step} if parent is not None else None,
        "description": record.get("description"),
        "artifacts": len(artifacts),
    }
