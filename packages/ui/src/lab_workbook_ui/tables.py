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

from lab_workbook.records import tag_time
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


def _newest_since(wb: ExperimentRepository, newest: int | None) -> Any:
    """The start minute of the ``newest``-th newest run, when its tag tells it (else ``None``: every run)."""
    tags = wb.tags()
    if not newest or len(tags) <= newest:
        return None
    return tag_time(tags[-newest])


def runs_payload(
    wb: ExperimentRepository, series: Sequence[tuple[str, str]], params: str, *, newest: int | None = None
) -> dict[str, Any]:
    """Every run's row: tag, status, started, duration (s), description, ``params.*``, ``<field>.last/best``.

    Args:
        newest: only about this many of the newest runs (``complete`` is then false): the page
            shows its first page from these while the whole table is read. The reader skips
            older runs by their tag's minute before any request (``since=``).
    """
    wanted: dict[str, list[str]] = {}
    for artifact, field in series:
        wanted.setdefault(artifact, []).append(field)
    since = _newest_since(wb, newest)
    table = wb.runs(params=params, series=wanted, since=since)
    table["duration"] = table["duration"].dt.total_seconds()
    # pandas writes numpy scalars, NaN (null), lists and dates (ISO, UTC) in one pass.
    split = json.loads(table.to_json(orient="split", date_format="iso", index=False, default_handler=str))
    return {
        "store": str(wb.storage.location),
        "total": len(wb.tags()),
        "complete": since is None,
        "columns": split["columns"],
        "rows": split["data"],
    }
