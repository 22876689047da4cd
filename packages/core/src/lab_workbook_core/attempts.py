"""A run's attempts and its parent, as the run record tells them, and the rule that reads a resumed series.

A run that was resumed (``new_experiment(resume=TAG)``) lives through several processes,
its *attempts*: attempt 1 started it, each later one continued it. The record lists them
in ``attempts`` once there is more than one; a record without the field describes its one
attempt with its own fields. A run started with ``fork=TAG`` names its ``parent``. Both
fields are optional to readers that do not know them (``docs/format.md``, *Attempts*).

Rows that attempt 2, 3... logged carry their number in the series' ``Attempt`` field
(:data:`~lab_workbook_core.series_csv.ATTEMPT_FIELD`); an attempt that restarted from an
earlier checkpoint logs some index values (steps, epochs) again. :func:`latest_attempt_rows`
is the reading rule, once: for each index value, the rows of the highest attempt that
logged it. The reader, and any outside reader, apply it the same way.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
import math
from typing import Any

from .record import RunRecord
from .series_csv import MISSING_CELLS
from .times import parse_time

__all__ = [
    "FIRST_ATTEMPT",
    "Attempt",
    "Parent",
    "Record",
    "attempt_count",
    "attempt_number",
    "latest_attempt_rows",
    "record_attempts",
    "record_parent",
]

#: The number of a run's first attempt, and of every series row without an ``Attempt`` value.
FIRST_ATTEMPT = 1


@dataclass(frozen=True)
class Attempt:
    """One process's part of a run, as the record's ``attempts`` lists it.

    Attributes:
        attempt: its number, from 1.
        started: when it started (UTC), if the record says.
        ended: when it ended (UTC); for an attempt that died without saying so, its last
            heartbeat as the next attempt recorded it; ``None`` for the current one.
        host: the machine it ran on.
        pid: its process id there.
        status: what it ended as (``finished``, ``failed``, ``interrupted``, ``crashed``), or
            ``running`` for the current one.
        error: why it failed (``{"type", "message"}`` as the record's ``error``), or ``None``.
    """

    attempt: int
    started: datetime | None
    ended: datetime | None
    host: str | None
    pid: int | None
    status: str | None
    error: Mapping[str, Any] | None


@dataclass(frozen=True)
class Parent:
    """The run a forked run started from (``new_experiment(fork=TAG, step=N)``).

    Attributes:
        tag: the parent run's tag.
        step: the parent's step the fork started from, or ``None`` when not given.
    """

    tag: str
    step: int | None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _error(value: Any) -> Mapping[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) else None


#: A run record as core's :class:`~lab_workbook_core.record.RunRecord`, or its decoded JSON object;
#: ``None`` (or ``{}``) for a run without one.
Record = RunRecord | Mapping[str, Any] | None


def _get(record: Record, name: str) -> Any:
    if record is None:
        return None
    if isinstance(record, RunRecord):
        return getattr(record, name)
    return record.get(name)


def _listed(record: Record) -> list[Mapping[str, Any]] | None:
    listed = _get(record, "attempts")
    if not isinstance(listed, Sequence) or isinstance(listed, str | bytes):
        return None
    entries = [entry for entry in listed if isinstance(entry, Mapping)]
    return entries or None


def record_attempts(record: Record) -> list[Attempt]:
    """The run's attempts, in order: the record's ``attempts``, else its one attempt from its own fields.

    ``[]`` for no record (``None`` or ``{}``: a run of the original tool). An entry of
    ``attempts`` that is not an object is left out; a missing number is its place in the list.
    """
    if record is None or (not isinstance(record, RunRecord) and not record):
        return []
    listed = _listed(record)
    if listed is None:
        return [
            Attempt(
                attempt=FIRST_ATTEMPT,
                started=parse_time(_get(record, "started")),
                ended=parse_time(_get(record, "ended")),
                host=_text(_get(record, "host")),
                pid=_integer(_get(record, "pid")),
                status=_text(_get(record, "status")),
                error=_error(_get(record, "error")),
            )
        ]
    return [
        Attempt(
            attempt=_integer(entry.get("attempt")) or place,
            started=parse_time(entry.get("started")),
            ended=parse_time(entry.get("ended")),
            host=_text(entry.get("host")),
            pid=_integer(entry.get("pid")),
            status=_text(entry.get("status")),
            error=_error(entry.get("error")),
        )
        for place, entry in enumerate(listed, start=FIRST_ATTEMPT)
    ]


def attempt_count(record: Record) -> int:
    """How many attempts the run had: the length of ``attempts``, 1 without it (or without a record)."""
    listed = _listed(record)
    return FIRST_ATTEMPT if listed is None else len(listed)


def record_parent(record: Record) -> Parent | None:
    """The run's ``parent`` (a run made with ``fork=TAG``), or ``None`` for a run that is not a fork."""
    parent = _get(record, "parent")
    if not isinstance(parent, Mapping) or not isinstance(parent.get("tag"), str) or not parent["tag"]:
        return None
    return Parent(parent["tag"], _integer(parent.get("step")))


def attempt_number(value: Any) -> int:
    """The attempt that logged a series row, from its ``Attempt`` value: 1 when it has none.

    A missing value is ``None``, an empty or ``nil`` cell, or NaN (as pandas reads an empty
    cell); a number is its integer (``2``, ``"2"``, ``2.0``).

    Raises:
        ValueError: a value that is not an attempt number (``"x"``, ``2.5``, ``0``).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return FIRST_ATTEMPT
    given = value
    try:
        if isinstance(value, str):
            text = value.strip()
            if text in MISSING_CELLS:
                return FIRST_ATTEMPT
            value = int(text) if text.isdigit() else float(text)
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        number = 0
    if isinstance(value, bool) or number != value or number < FIRST_ATTEMPT:
        raise ValueError(f"{given!r} is not an attempt number (an integer from 1)")
    return number


_MISSING_INDEX = object()  # every missing index value (NaN, None) is one value, as pandas' groupby(dropna=False)


def _index_key(value: Hashable) -> Hashable:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _MISSING_INDEX
    return value


def latest_attempt_rows(index_values: Sequence[Hashable], attempts: Sequence[Any]) -> list[bool]:
    """Which rows of a series its default frame keeps: for each index value, the rows of the highest attempt.

    The rule (``docs/format.md``, *Attempts*): a row belongs to the attempt in its ``Attempt``
    field (1 without one, :func:`attempt_number`); of the rows sharing a value of the series'
    first field (its index: step, epoch), only those of the highest attempt that logged that
    value are kept, in file order. Every row of an index value that one attempt alone logged is
    kept, repeated values included: the rule drops only what a later attempt logged again.

    Args:
        index_values: each row's value of the first field, in file order (equal values are the
            same index value; every missing one, ``None`` or NaN, is one value).
        attempts: each row's ``Attempt`` value, in the same order.

    Returns:
        For each row, whether the default frame keeps it.

    Raises:
        ValueError: the sequences differ in length, or an ``Attempt`` value is not a number.
    """
    if len(index_values) != len(attempts):
        raise ValueError(f"{len(index_values)} index values but {len(attempts)} attempt values: one per row")
    numbers = [attempt_number(value) for value in attempts]
    keys = [_index_key(value) for value in index_values]
    highest: dict[Hashable, int] = {}
    for key, number in zip(keys, numbers, strict=True):
        if number > highest.get(key, 0):
            highest[key] = number
    return [number == highest[key] for key, number in zip(keys, numbers, strict=True)]
