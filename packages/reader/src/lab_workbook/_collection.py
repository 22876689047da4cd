"""Several experiments at once: what ``wb[:]`` and ``wb["a", "b"]`` return.

Plain ``list`` and ``tuple`` (everything list-like keeps working), plus a compact
HTML table in notebooks.
"""

from __future__ import annotations

from ._experiment import Experiment

__all__ = ["ExperimentList", "ExperimentTuple"]


class ExperimentList(list[Experiment]):
    """A ``list`` of experiments that shows as a table (tag, status, started, artifacts) in notebooks."""

    def _repr_html_(self) -> str:
        from ._html import experiments_html

        return experiments_html(list(self))


class ExperimentTuple(tuple[Experiment, ...]):
    """A ``tuple`` of experiments (``wb["tagA", "tagB"]``, as in the original) that shows as a table."""

    def _repr_html_(self) -> str:
        from ._html import experiments_html

        return experiments_html(list(self))
