"""The runs table as JSON for the page: the reader's :meth:`~lab_workbook.ExperimentRepository.runs`, serialised.

Nothing is computed here that the reader already computes (status, flattened
parameters, last/best of series fields): this module only chooses the series
columns from the query and turns the DataFrame into ``{"columns", "rows"}``, with
``started`` as ISO 8601 UTC and ``duration`` in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
import json
from typing import TYPE_CHECKING, Any

from lab_workbook_core import ConfigError

if TYPE_CHECKING:
    from lab_workbook import ExperimentRepository

__all__ = ["parse_series_columns", "runs_payload"]


def parse_series_columns(text: str | None) -> list[tuple[str, str]]:
    """``"Training loss.csv:loss,Testing Error.csv:error"`` -> ``[(artifact, field), ...]``.

    Raises:
        ConfigError: an entry is not ``ARTIFACT:FIELD``.
    """
    pairs = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        artifact, sep, field = item.strip().rpartition(":")
        if not sep or not artifact or not field:
            raise ConfigError(f"series column {item!r} must be ARTIFACT:FIELD, e.g. 'Training loss.csv:loss'")
        pairs.append((artifact, field))
    return pairs


def runs_payload(wb: ExperimentRepository, series: Sequence[tuple[str, str]], params: str) -> dict[str, Any]:
    """Every run's row: tag, status, started, duration (s), description, ``params.*``, ``<field>.last/best``."""
    wanted: dict[str, list[str]] = {}
    for artifact, field in series:
        wanted.setdefault(artifact, []).append(field)
    table = wb.runs(params=params, series=wanted)
    table["duration"] = table["duration"].dt.total_seconds()
    # pandas writes numpy scalars, NaN (null), lists and dates (ISO, UTC) in one pass.
    split = json.loads(table.to_json(orient="split", date_format="iso", index=False, default_handler=str))
    return {"store": str(wb.storage.location), "columns": split["columns"], "rows": split["data"]}
