"""The run record's ``summary`` (``docs/format.md``, *The summary*): typed, with its numbers decoded.

A final record carries the small JSON artifacts and each series field's last, min and
max, so that a runs table needs one request per run. JSON has no infinities, so the
writer stores them as ``"inf"``/``"-inf"`` (:func:`encode_summary_number`) and readers
decode them (:func:`decode_summary_number`); :class:`RunSummary` keeps the stored JSON
untouched, so that a record round-trips byte for byte, and decodes on access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import math
from types import MappingProxyType
from typing import Any

__all__ = [
    "FieldSummary",
    "RunSummary",
    "SeriesSummary",
    "decode_summary_number",
    "encode_summary_number",
    "frozen_json",
    "thawed_json",
]

_INFINITIES = {"inf": math.inf, "-inf": -math.inf}


def encode_summary_number(value: int | float) -> int | float | str:
    """A summary number as JSON can hold it: the infinities as the strings ``"inf"`` and ``"-inf"``."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def decode_summary_number(value: Any) -> int | float:
    """A summary number (:func:`encode_summary_number`) back: ``NaN`` for ``null`` (no value) or anything else."""
    if isinstance(value, str):
        return _INFINITIES.get(value, math.nan)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return math.nan


_SCALARS = frozenset({str, int, float, bool, type(None)})


def frozen_json(value: Any) -> Any:
    """A decoded JSON value made immutable: objects become read-only mappings, lists tuples."""
    kind = type(value)
    if kind in _SCALARS:  # most values: checked first, and without isinstance's ABC machinery
        return value
    if kind is dict or kind is MappingProxyType or isinstance(value, Mapping):
        return MappingProxyType(
            {key: item if type(item) in _SCALARS else frozen_json(item) for key, item in value.items()}
        )
    if kind is list or kind is tuple:
        return tuple(item if type(item) in _SCALARS else frozen_json(item) for item in value)
    return value


def thawed_json(value: Any) -> Any:
    """:func:`frozen_json` undone: plain ``dict`` and ``list`` again, as :mod:`json` writes them."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is MappingProxyType or kind is dict:
        return {key: item if type(item) in _SCALARS else thawed_json(item) for key, item in value.items()}
    if kind is tuple or kind is list:
        return [item if type(item) in _SCALARS else thawed_json(item) for item in value]
    if isinstance(value, RunSummary):
        return value.to_mapping()
    if isinstance(value, Mapping):
        return {key: thawed_json(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class FieldSummary:
    """One series field's numbers, decoded: ``NaN`` where the field has no value."""

    last: int | float
    min: int | float
    max: int | float


@dataclass(frozen=True, slots=True)
class SeriesSummary:
    """One series: its row count (``None`` if not stored) and each field's numbers.

    A field is ``None`` when its cells are not all numbers: read the series itself.
    """

    rows: int | None
    fields: Mapping[str, FieldSummary | None]


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A final record's ``summary``: the stored JSON (``data``, read-only), read through typed views.

    Make one with :meth:`from_mapping`; :meth:`to_mapping` gives the stored JSON back unchanged.
    """

    data: Mapping[str, Any]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RunSummary:
        """The summary of a decoded JSON object (kept as it is, read-only)."""
        return cls(frozen_json(data))

    def to_mapping(self) -> dict[str, Any]:
        """The summary as JSON-ready ``dict``, exactly as it was stored."""
        return thawed_json(self.data)  # type: ignore[no-any-return]  # a mapping thaws to a dict

    @property
    def json(self) -> Mapping[str, Any]:
        """``{artifact: value}`` of the small JSON artifacts (``{}`` when none were stored)."""
        values = self.data.get("json")
        return values if isinstance(values, Mapping) else MappingProxyType({})

    @property
    def series(self) -> Mapping[str, SeriesSummary]:
        """``{artifact: SeriesSummary}`` of every summarised series; malformed entries are left out."""
        stored = self.data.get("series")
        if not isinstance(stored, Mapping):
            return {}
        found = {}
        for name, entry in stored.items():
            summary = _series(entry)
            if summary is not None:
                found[name] = summary
        return found

    def series_of(self, artifact: str) -> SeriesSummary | None:
        """The summary of one series; ``None`` when it was not summarised (read the series)."""
        stored = self.data.get("series")
        return _series(stored.get(artifact)) if isinstance(stored, Mapping) else None


def _series(entry: Any) -> SeriesSummary | None:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("fields"), Mapping):
        return None
    rows = entry.get("rows")
    fields: dict[str, FieldSummary | None] = {}
    for name, numbers in entry["fields"].items():
        if isinstance(numbers, Mapping):
            fields[name] = FieldSummary(
                last=decode_summary_number(numbers.get("last")),
                min=decode_summary_number(numbers.get("min")),
                max=decode_summary_number(numbers.get("max")),
            )
        else:
            fields[name] = None
    return SeriesSummary(rows if isinstance(rows, int) and not isinstance(rows, bool) else None, fields)
