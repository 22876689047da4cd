"""Pictures, text and tables from a Lightning logger, with WandbLogger's signatures.

Lightning users know ``logger.log_image(key, images, step)``, ``log_text`` and
``log_table`` from :class:`~lightning.pytorch.loggers.WandbLogger`; here they store
through the writer's own saves, so ``exp.images()`` and the dashboard show them:

- each picture with :meth:`Experiment.save_image` (a file path with ``save_file``):
  ``<key>`` for one picture, ``<key>_<i>`` for the i-th of several, each ``/step-<N>.png``
  when a step is given; captions (``caption=[...]``) in ``<key>.captions.json`` (by step likewise);
- a table (or text, a table of strings) as JSON ``{"columns": [...], "data": [[...]]}``
  named ``<key>``, or ``<key>/step-<N>`` for a step (core's step names).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab_workbook_core import InvalidValueError
from lab_workbook_core.keys import step_name

from ._notices import warn
from ._plainjson import plain_json

if TYPE_CHECKING:
    from ._experiment import Experiment

__all__ = ["save_images", "save_table"]

_told_unstored: set[str] = set()


def save_images(
    experiment: Experiment, key: str, images: list[Any], step: int | None, options: Mapping[str, Sequence[Any]]
) -> list[str]:
    """Save ``images`` under ``key`` (module docstring); the names given, in order.

    Raises:
        TypeError: ``images`` is not a list (as WandbLogger).
        ValueError: an option's list has not one item per picture (as WandbLogger).
    """
    if not isinstance(images, list):
        raise TypeError(f'log_image: expected a list as "images", found {type(images).__name__}')
    count = len(images)
    for option, values in options.items():
        if len(values) != count:
            raise ValueError(f"log_image: expected {count} items for {option!r} (one per image), found {len(values)}")
    unstored = sorted(set(options) - {"caption"} - _told_unstored)
    if unstored:
        _told_unstored.update(unstored)
        warn(f"log_image: {', '.join(unstored)} are not stored (only the pictures and their captions are)")
    names = [key if count == 1 else f"{key}_{index}" for index in range(count)]
    for name, image in zip(names, images, strict=True):
        if isinstance(image, str | os.PathLike):
            path = Path(image)
            if step is None:
                experiment.save_file(path, name + path.suffix)
            else:
                experiment.save_file(path, name, step=step)
        else:
            experiment.save_image(name, image, step)
    if "caption" in options:
        captions = {name: str(caption) for name, caption in zip(names, options["caption"], strict=True)}
        experiment.save_json(f"{key}.captions" if step is None else step_name(f"{key}.captions", step, ""), captions)
    return names


def save_table(
    experiment: Experiment,
    key: str,
    columns: list[str] | None,
    data: list[list[Any]] | None,
    dataframe: Any,
    step: int | None,
) -> str:
    """Save a table given by ``columns`` and ``data``, or by a pandas ``dataframe``; the name given.

    Raises:
        InvalidValueError: neither ``data`` nor ``dataframe``, or both.
    """
    if (data is None) == (dataframe is None):
        raise InvalidValueError(f"log_table {key!r}: give the rows as data= (with columns=) or as dataframe=, not both")
    if dataframe is not None:  # duck-typed: the writer never imports pandas
        columns = [str(column) for column in dataframe.columns]
        data = dataframe.values.tolist()
    rows = [list(row) for row in data or []]
    if columns is None:
        columns = [str(index) for index in range(max((len(row) for row in rows), default=0))]
    name = key if step is None else step_name(key, step, "")
    experiment.save_json(name, {"columns": list(columns), "data": plain_json(rows)})
    return name
