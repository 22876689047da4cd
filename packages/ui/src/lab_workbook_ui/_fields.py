"""Which series fields the selected runs have: what the page draws one small chart (a panel) for.

A finished run's record carries a summary naming every series and its fields, the index
first (``docs/format.md``), so its fields cost no request beyond the record the table read
already. A run without one (running, crashed, or from an older writer) has its series files
found in one listing of its folder and their columns read by the reader (for a running run,
what its segments hold so far).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lab_workbook import artifact_kind
from lab_workbook_core import LabWorkbookError
from lab_workbook_core.series_csv import RESERVED_FIELDS

if TYPE_CHECKING:
    from lab_workbook import Experiment, ExperimentRepository

__all__ = ["series_fields"]


def _of_summary(exp: Experiment) -> dict[str, tuple[str | None, list[str]]] | None:
    """``{series: (index, fields)}`` from a closed run's summary, or ``None`` (not summarised)."""
    record = exp.record
    if record is None or record.summary is None or record.complete_artifacts() is None:
        return None
    found = {}
    for name, summary in record.summary.series.items():
        names = [f for f in summary.fields if f not in RESERVED_FIELDS]
        found[name] = (names[0] if names else None, names[1:])
    return found


def _of_series(exp: Experiment) -> dict[str, tuple[str | None, list[str]]]:
    """``{series: (index, fields)}`` read from the series themselves (a run still going)."""
    found = {}
    for artifact in exp.artifacts():
        if artifact_kind(artifact.name) != "csv":
            continue
        try:
            frame = exp.load_series(artifact.name)
        except LabWorkbookError:  # not a series the reader can parse: no panel, the run page lists it
            continue
        fields = [str(c) for c in frame.columns if c not in RESERVED_FIELDS]
        found[artifact.name] = (str(frame.index.name) if frame.index.name is not None else None, fields)
    return found


def series_fields(wb: ExperimentRepository, tags: Sequence[str]) -> list[dict[str, Any]]:
    """``[{"artifact", "index", "fields", "tags"}]``: every series any of the runs has, sorted by
    name, with the union of its fields in the order first seen and the runs that have it."""
    merged: dict[str, dict[str, Any]] = {}
    for tag in tags:
        exp = wb.experiment(tag)
        found = _of_summary(exp)
        for name, (index, fields) in (found if found is not None else _of_series(exp)).items():
            entry = merged.setdefault(name, {"artifact": name, "index": index, "fields": [], "tags": []})
            entry["index"] = entry["index"] or index
            entry["fields"].extend(f for f in fields if f not in entry["fields"])
            entry["tags"].append(exp.tag)
    return [merged[name] for name in sorted(merged)]
