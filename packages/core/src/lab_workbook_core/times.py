"""The one time codec of the store: how lab-workbook writes and reads a moment, and shows one.

Every time the store holds is written here and read here: the run record's
(:func:`format_time`, :func:`parse_time`), a series' ``Date`` cell
(:func:`format_millis`), and the forms the CLI, the dashboard and notebooks show
(:func:`show_time`, :func:`format_date`). Formatting is spelt out rather than left to
``strftime``, whose ``%Y`` leaves years before 1000 unpadded on some platforms.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
import time
from typing import Any

__all__ = ["format_date", "format_millis", "format_time", "parse_time", "show_time"]


def format_time(moment: datetime | None = None, *, trim: bool = False) -> str:
    """A moment (now by default) as the record writes times: ``2016-02-14T23:41:05.250113Z``.

    Always UTC with six fractional digits and ``Z``, so that the record's times sort as text
    as they do as moments. A naive ``datetime`` is taken to be UTC.

    Args:
        moment: the moment; ``None`` for now.
        trim: leave out a zero fraction (``2016-02-14T23:41:05Z``), as the CLI's ``--json``
            shows times; never in a record.
    """
    m = datetime.now(UTC) if moment is None else _utc(moment)
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
    return f"{text}Z" if trim and not m.microsecond else f"{text}.{m.microsecond:06d}Z"


def parse_time(value: Any) -> datetime | None:
    """A record's time as an aware UTC ``datetime``; ``None`` for anything that is not one.

    Any ISO 8601 form Python reads is accepted (other writers: ``Z`` or an offset, with or
    without fraction); a time without an offset is UTC.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_second: tuple[int, str] = (-1, "")


def format_millis(millis: int) -> str:
    """A series' ``Date`` cell: ``2016-02-14T23:41:05.250Z`` for milliseconds since the epoch (UTC).

    The writer formats one per row, so the date-and-seconds part is made once per second and kept.
    """
    global _second
    second, fraction = divmod(millis, 1000)
    cached, text = _second
    if second != cached:
        t = time.gmtime(second)
        text = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        _second = (second, text)
    return f"{text}.{fraction:03d}Z"


def show_time(moment: datetime, *, seconds: bool = True, zone: bool = True) -> str:
    """A moment for people, in UTC: ``2016-02-14 23:41:05 UTC`` (a naive ``datetime`` is taken to be UTC).

    Args:
        moment: the moment.
        seconds: show the seconds; ``False`` for a table column (``2016-02-14 23:41``).
        zone: end with `` UTC``.
    """
    m = _utc(moment)
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d} {m.hour:02d}:{m.minute:02d}"
    if seconds:
        text += f":{m.second:02d}"
    return text + " UTC" if zone else text


def format_date(day: date) -> str:
    """A calendar day as ISO 8601: ``2016-02-14``."""
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
