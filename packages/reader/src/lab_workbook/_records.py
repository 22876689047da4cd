"""The run record (``<tag>/.lab-workbook/run.json``) as the reader sees it: its status (core parses its times).

The writer rewrites the record at every heartbeat, so a ``running`` record whose
heartbeat is old means the process died without saying so: the reader reports
it as ``crashed``. Experiments the original tool wrote have no record at all and
are ``unknown``, which is not an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from lab_workbook_core.record import CRASHED, RUNNING, UNKNOWN, parse_time

__all__ = ["status_of"]

_MIN_STALE = timedelta(seconds=90)
_DEFAULT_INTERVAL = 30.0


def status_of(record: Mapping[str, Any], now: datetime | None = None) -> str:
    """The status to show for a run record (``{}`` means no record: ``unknown``).

    A ``running`` record whose heartbeat is older than three heartbeat intervals (at
    least 90 s) is ``crashed``, as ``docs/format.md`` specifies.
    """
    if not record:
        return UNKNOWN
    status = record.get("status")
    if status != RUNNING:
        return status if isinstance(status, str) and status else UNKNOWN
    beat = parse_time(record.get("heartbeat")) or parse_time(record.get("started"))
    if beat is None:
        return RUNNING
    interval = record.get("heartbeat_interval")
    if not isinstance(interval, (int, float)) or interval <= 0:
        interval = _DEFAULT_INTERVAL
    stale_after = max(timedelta(seconds=3 * interval), _MIN_STALE)
    current = now or datetime.now(UTC)
    return CRASHED if current - beat > stale_after else RUNNING
