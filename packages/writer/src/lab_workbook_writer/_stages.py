"""One growing series per training stage (``train.csv``, ``val.csv``...): what the integrations log to.

A framework's metrics arrive as dicts whose keys change over a run, so each stage's
series is made without a field list (see :mod:`lab_workbook_writer._fieldsets`); the
first row puts ``step`` and ``epoch`` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._experiment import Experiment
    from ._series import TimeSeriesLog

__all__ = ["StageLogs"]


class StageLogs:
    """The series of one experiment's stages, made at each stage's first row."""

    def __init__(self, save_every: int = 50) -> None:
        self._series: dict[str, TimeSeriesLog] = {}
        self._save_every = save_every

    def log(self, experiment: Experiment, stage: str, step: Any, epoch: Any, metrics: Mapping[str, Any]) -> None:
        """Append ``{step, epoch, **metrics}`` to ``<stage>.csv``."""
        series = self._series.get(stage)
        if series is None:
            series = self._series[stage] = experiment.new_time_series_log(stage, save_every=self._save_every)
        series({"step": step, "epoch": epoch, **metrics})

    def drain(self) -> None:
        """Write the rows logged so far to the spool's disk: a process killed after this loses none of them."""
        for series in self._series.values():
            series.drain()
