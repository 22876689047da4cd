"""The experiments a comparison is asked for (``meld_csv``, ``image_grid``), with their labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._experiment import Experiment

if TYPE_CHECKING:
    from ._repository import ExperimentRepository

__all__ = ["labelled_experiments"]


def labelled_experiments(
    wb: ExperimentRepository, experiments: Mapping[Any, Any] | Iterable[str | Experiment]
) -> list[tuple[Experiment, Any]]:
    """``(experiment, label)`` of each experiment given, in the order given.

    ``experiments`` is a mapping of tag or :class:`~lab_workbook.Experiment` to label, one
    tag or experiment, or several; the label of an unlabelled one is its tag. Tags are
    resolved with one listing of the store when there are several (not a probe per tag).

    Raises:
        ExperimentNotFound: a tag names no experiment.
    """
    if isinstance(experiments, Mapping):
        pairs = list(experiments.items())
    elif isinstance(experiments, (str, Experiment)):
        pairs = [(experiments, None)]
    else:
        pairs = [(e, None) for e in experiments]
    if sum(not isinstance(key, Experiment) for key, _ in pairs) > 1:
        wb.tags()  # one paginated listing answers for every tag, instead of a probe per tag
    resolved = []
    for key, label in pairs:
        exp = key if isinstance(key, Experiment) else wb[key]
        resolved.append((exp, exp.tag if label is None else label))
    return resolved
