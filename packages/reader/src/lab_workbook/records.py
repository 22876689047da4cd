"""The run record (``<tag>/.lab-workbook/run.json``) as the reader sees it: status and times.

The writer rewrites the record at every heartbeat, so a ``running`` record whose
heartbeat is old means the process died without saying so: the reader reports
it as ``crashed``. Experiments the original tool wrote have no record at all and
are ``unknown``, which is not an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from lab_workbook_core import is_generated_tag
from lab_workbook_core.record import CRASHED, RUNNING, UNKNOWN

__all__ = ["parse_time", "status_of", "tag_time"]

_MIN_STALE = timedelta(seconds=90)
_DEFAULT_INTERVAL = 30.0


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 string from a record as an aware UTC datetime; ``None`` for anything else."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


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


def tag_time(tag: str) -> datetime | None:
    """The start minute a generated tag encodes (``201602142341-...``), else ``None``."""
    if not is_generated_tag(tag):
        return None
    try:  # not strptime: ten times slower, and a runs table asks for thousands
        return datetime(int(tag[:4]), int(tag[4:6]), int(tag[6:8]), int(tag[8:10]), int(tag[10:12]), tzinfo=UTC)
    except ValueError:
        return None
