"""The run record (``<tag>/.lab-workbook/run.json``) as the reader sees it: its status (core parses it and its times).

The writer rewrites the record at every heartbeat, so a ``running`` record whose
heartbeat is old means the process died without saying so: the reader reports
it as ``crashed``. Experiments the original tool wrote have no record at all and
are ``unknown``, which is not an error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lab_workbook_core.record import CRASHED, RUNNING, UNKNOWN, RunRecord

__all__ = ["status_of"]

_MIN_STALE = timedelta(seconds=90)
_DEFAULT_INTERVAL = 30.0


def status_of(record: RunRecord | None, now: datetime | None = None) -> str:
    """The status to show for a run record (``None`` means no record: ``unknown``).

    A ``running`` record whose heartbeat is older than three heartbeat intervals (at
    least 90 s) is ``crashed``, as ``docs/format.md`` specifies.
    """
    if record is None:
        return UNKNOWN
    if record.status != RUNNING:
        return record.status or UNKNOWN
    beat = record.heartbeat_at or record.started_at
    if beat is None:
        return RUNNING
    interval = record.heartbeat_interval
    if interval is None or interval <= 0:
        interval = _DEFAULT_INTERVAL
    stale_after = max(timedelta(seconds=3 * interval), _MIN_STALE)
    current = now or datetime.now(UTC)
    return CRASHED if current - beat > stale_after else RUNNING
