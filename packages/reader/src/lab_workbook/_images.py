"""Pictures: ``.png`` (and other image) artifacts as PIL images, image series by step, and a runs grid.

``save_image(name, image, step=...)`` stores each step as ``<name>/step-<8 digits>.png``
(``docs/format.md``; core's :mod:`lab_workbook_core.keys` builds and parses these keys), so the
steps of a series are found by one listing of the prefix ``<tag>/<name>/step-``, never by
listing the whole run. Images load lazily: a
:class:`LazyImage` downloads (through the disk cache) and decodes on first use.
The grid of several runs' pictures is in :mod:`lab_workbook._image_grid`.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from lab_workbook_core import CorruptArtifactError, MissingDependencyError, validate_name
from lab_workbook_core.keys import image_steps_prefix, parse_image_step

if TYPE_CHECKING:  # pandas is imported when a frame is made: `import lab_workbook` stays quick
    import pandas as pd
    from PIL.Image import Image

    from ._experiment import Experiment

__all__ = ["LazyImage", "image_steps", "images_frame", "load_image"]


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
    for info in experiment.source.storage.list(prefix, delimiter="/").objects:
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
