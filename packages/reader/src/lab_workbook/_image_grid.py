"""``image_grid``: the pictures of an image series, several runs by several steps, in one figure.

The steps of each run are found by one listing each (:func:`lab_workbook._images.image_steps`),
and the pictures shown are downloaded concurrently. matplotlib is imported only when a
grid is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lab_workbook_core import InvalidValueError, MissingDependencyError, concurrent_map

from ._images import image_steps
from ._labels import labelled_experiments

if TYPE_CHECKING:
    from ._experiment import Experiment
    from ._repository import ExperimentRepository

__all__ = ["image_grid"]


def image_grid(
    wb: ExperimentRepository,
    experiments: Mapping[Any, Any] | Iterable[str | Experiment],
    name: str,
    steps: Sequence[int] | None,
    *,
    max_steps: int,
    size: float,
) -> Any:
    """See :meth:`lab_workbook.ExperimentRepository.image_grid` (which holds the defaults)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise MissingDependencyError(
            "image_grid draws with matplotlib, which is not installed: pip install 'lab-workbook[plot]' "
            "(or pip install matplotlib)"
        ) from err
    if max_steps < 1:
        raise InvalidValueError(f"image_grid: max_steps must be >= 1, got {max_steps}")
    pairs = labelled_experiments(wb, experiments)
    if not pairs:
        raise InvalidValueError("image_grid: give at least one experiment")
    found = concurrent_map(lambda pair: dict(image_steps(pair[0], name)), pairs, wb.max_workers)
    if steps is None:
        steps = _spread(sorted(set().union(*found)), max_steps)
    steps = list(steps)
    if not steps:
        raise InvalidValueError(f"image_grid: none of these experiments has an image series {name!r} with steps")
    cells = [(row, column) for row in range(len(pairs)) for column in range(len(steps))]
    names = [found[row].get(steps[column]) for row, column in cells]
    wanted = [(pairs[row][0], n) for (row, _), n in zip(cells, names, strict=True) if n is not None]
    loaded = iter(concurrent_map(lambda item: item[0].load(item[1]), wanted, wb.max_workers))
    figure = Figure(figsize=(size * len(steps), size * len(pairs)), layout="constrained")
    axes = figure.subplots(len(pairs), len(steps), squeeze=False)
    for (row, column), artifact in zip(cells, names, strict=True):
        ax = axes[row][column]
        ax.set_xticks([])
        ax.set_yticks([])
        if artifact is None:
            ax.text(0.5, 0.5, "no image", ha="center", va="center", transform=ax.transAxes, color="0.5")
        else:
            picture = next(loaded)
            ax.imshow(picture, cmap="gray" if picture.mode in ("L", "I", "I;16", "1") else None)
        if row == 0:
            ax.set_title(f"step {steps[column]}")
        if column == 0:
            ax.set_ylabel(str(pairs[row][1]))
    return figure


def _spread(values: list[int], count: int) -> list[int]:
    """At most ``count`` of ``values``, evenly spaced, always with the first and the last."""
    if len(values) <= count:
        return values
    if count == 1:
        return values[-1:]
    picked = {values[round(i * (len(values) - 1) / (count - 1))] for i in range(count)}
    return sorted(picked)
