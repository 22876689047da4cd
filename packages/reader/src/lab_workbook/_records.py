"""The run record (``<tag>/.lab-workbook/run.json``) as the reader sees it: its status (core parses it and its times).

The writer rewrites the record at every heartbeat, so a ``running`` record whose
heartbeat is old means the process died without saying so: the reader reports
it as ``crashed``. Experiments the original tool wrote have no record at all and
are ``unknown``, which is not an error.
"""

from __future__ import annotations

from datetime import datetime

from lab_workbook_core.record import CRASHED, UNKNOWN, RunRecord

__all__ = ["status_of"]


def status_of(record: RunRecord | None, now: datetime | None = None) -> str:
    """The status to show for a run record (``None`` means no record: ``unknown``).

    A ``running`` record whose heartbeat is too old (:meth:`~lab_workbook_core.record.RunRecord.is_stale`:
    older than three heartbeat intervals, at least 90 s) is ``crashed``, as ``docs/format.md`` specifies.
    """
    if record is None:
        return UNKNOWN
    return CRASHED if record.is_stale(now) else record.status
