"""Pictures: ``.png`` (and other image) artifacts as PIL images, image series by step, and a runs grid.

``save_image(name, image, step=...)`` stores each step as ``<name>/step-<8 digits>.png``
(``docs/format.md``; core's :mod:`lab_workbook_core.keys` builds and parses these keys), so the
steps of a series are found by one listing of the prefix ``<tag>/<name>/step-``, never by
listing the whole run. Images load lazily: a
:class:`LazyImage` downloads (through the disk cache) and decodes on first use.
matplotlib is imported only by :func:`image_grid`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
import io
from typing import TYPE_CHECKING, Any

from lab_workbook_core import (
    CorruptArtifactError,
    InvalidValueError,
    MissingDependencyError,
    concurrent_map,
    validate_name,
)
from lab_workbook_core.keys import image_steps_prefix, parse_image_step

if TYPE_CHECKING:  # pandas is imported when a frame is made: `import lab_workbook` stays quick
    import pandas as pd
    from PIL.Image import Image

    from ._experiment import Experiment
    from ._repository import ExperimentRepository

__all__ = ["LazyImage", "image_grid", "image_steps", "images_frame", "load_image"]


def load_image(data: bytes, where: str) -> Image:
    """The decoded picture (shown inline by Jupyter).

    Raises:
        CorruptArtifactError: the bytes are not a picture Pillow can read.
    """
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as err:  # pragma: no cover - Pillow is a dependency of the reader
        raise MissingDependencyError(f"loading {where} needs Pillow: pip install Pillow") from err
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise CorruptArtifactError(
            f"{where} is not a readable image ({err}); load the raw bytes with exp.read_bytes(name) to inspect it"
        ) from err
    return image


class LazyImage:
    """One picture of an experiment, downloaded and decoded on first :meth:`load`.

    Attributes:
        experiment: the experiment it belongs to.
        name: the artifact's name (``samples/step-00001200.png``).
    """

    def __init__(self, experiment: Experiment, name: str) -> None:
        self.experiment, self.name = experiment, name
        self._image: Image | None = None

    def load(self) -> Image:
        """The PIL image (decoded once, then kept)."""
        if self._image is None:
            self._image = self.experiment.load(self.name)
        return self._image

    def _repr_png_(self) -> bytes:
        out = io.BytesIO()
        self.load().save(out, format="PNG")
        return out.getvalue()

    def __repr__(self) -> str:
        return f"<LazyImage {self.experiment.tag}/{self.name}>"


def image_steps(experiment: Experiment, name: str) -> list[tuple[int, str]]:
    """``(step, artifact name)`` of every step of the image series ``name``, by step."""
    series = validate_name(name.removesuffix("/") or name, "image series name")
    prefix = image_steps_prefix(experiment.tag, series)
    start = len(experiment.tag) + 1
    found = []
    for info in experiment._source.storage.list(prefix, delimiter="/").objects:
        step = parse_image_step(info.key[start:])
        if step is not None:
            found.append((step[1], info.key[start:]))
    return sorted(found)


def images_frame(experiment: Experiment, name: str) -> pd.DataFrame:
    """See :meth:`lab_workbook.Experiment.images`."""
    import pandas as pd

    steps = image_steps(experiment, name)
    return pd.DataFrame(
        {
            "step": pd.Series([s for s, _ in steps], dtype="int64"),
            "name": pd.Series([n for _, n in steps], dtype="object"),
            "image": pd.Series([LazyImage(experiment, n) for _, n in steps], dtype="object"),
        }
    )


def image_grid(
    wb: ExperimentRepository,
    experiments: Mapping[Any, Any] | Iterable[str | Experiment],
    name: str,
    steps: Sequence[int] | None = None,
    *,
    max_steps: int = 6,
    size: float = 2.0,
) -> Any:
    """See :meth:`lab_workbook.ExperimentRepository.image_grid`."""
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise MissingDependencyError(
            "image_grid draws with matplotlib, which is not installed: pip install 'lab-workbook[plot]' "
            "(or pip install matplotlib)"
        ) from err
    from ._meld import _labelled

    if max_steps < 1:
        raise InvalidValueError(f"image_grid: max_steps must be >= 1, got {max_steps}")
    pairs = _labelled(wb, experiments)
    if not pairs:
        raise InvalidValueError("image_grid: give at least one experiment")
    found = concurrent_map(lambda pair: dict(image_steps(pair[0], name)), pairs, wb._source.max_workers)
    if steps is None:
        steps = _spread(sorted(set().union(*found)), max_steps)
    steps = list(steps)
    if not steps:
        raise InvalidValueError(f"image_grid: none of these experiments has an image series {name!r} with steps")
    cells = [(row, column) for row in range(len(pairs)) for column in range(len(steps))]
    names = [found[row].get(steps[column]) for row, column in cells]
    wanted = [(pairs[row][0], n) for (row, _), n in zip(cells, names, strict=True) if n is not None]
    loaded = iter(concurrent_map(lambda item: item[0].load(item[1]), wanted, wb._source.max_workers))
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
