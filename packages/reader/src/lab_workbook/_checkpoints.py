"""Checkpoints by step: what ``save_torch(name, obj, step=N)`` (or ``save_file(..., step=N)``) stored.

Each step is the artifact ``<name>/step-<8+ digits><ending>`` (``docs/format.md``; core's
:mod:`lab_workbook_core.keys` builds and parses these names), so one listing of the
prefix ``<tag>/<name>/step-`` finds a series' checkpoints, never a listing of the whole
run. Pictures in that folder are :meth:`~lab_workbook.Experiment.images`, not checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
import operator
from typing import TYPE_CHECKING, Any

from lab_workbook_core import ArtifactNotFound, InvalidValueError, Storage, validate_name
from lab_workbook_core.hints import closest
from lab_workbook_core.keys import parse_step, picture_type, steps_prefix

if TYPE_CHECKING:  # pandas is imported when a frame is made: `import lab_workbook` stays quick
    import pandas as pd

__all__ = ["StoredStep", "checkpoint_steps", "checkpoints_frame", "choose_step"]

_TORCH_ENDING = ".pt"
_SHOWN = 10


@dataclass(frozen=True)
class StoredStep:
    """One checkpoint as listed: its step, artifact name, size and when it was stored."""

    step: int
    name: str
    size: int
    modified: datetime | None


def checkpoint_steps(storage: Storage, tag: str, name: str) -> list[StoredStep]:
    """Every checkpoint of the series ``name``, by step (one listing of ``<tag>/<name>/step-``)."""
    series = validate_name(name.removesuffix("/") or name, "checkpoint series name")
    start = len(tag) + 1
    found = []
    for info in storage.list(steps_prefix(tag, series), delimiter="/").objects:
        artifact = info.key[start:]
        parsed = parse_step(artifact)
        if parsed is not None and parsed[0] == series and picture_type(artifact) is None:
            found.append(StoredStep(parsed[1], artifact, info.size, info.last_modified))
    # of two objects of one step (model.pt and model.json), the .pt comes last: the one to load
    return sorted(found, key=lambda s: (s.step, s.name.endswith(_TORCH_ENDING), s.name))


def checkpoints_frame(steps: list[StoredStep]) -> pd.DataFrame:
    """See :meth:`lab_workbook.Experiment.checkpoints`."""
    import pandas as pd

    return pd.DataFrame(
        {
            "step": pd.Series([s.step for s in steps], dtype="int64"),
            "name": pd.Series([s.name for s in steps], dtype="object"),
            "size": pd.Series([s.size for s in steps], dtype="int64"),
            "modified": pd.to_datetime(pd.Series([s.modified for s in steps], dtype="object"), utc=True),
        }
    )


def choose_step(
    tag: str, name: str, steps: list[StoredStep], step: Any, artifacts: Callable[[], list[str]]
) -> StoredStep:
    """The checkpoint to load: the highest step for ``"latest"``, else the one of ``step``.

    ``artifacts`` lists the run's artifacts, for the message when it has no checkpoint ``name``.

    Raises:
        InvalidValueError: ``step`` is neither ``"latest"`` nor a non-negative integer.
        ArtifactNotFound: no checkpoint of that step; the message lists the steps there are.
    """
    if isinstance(step, str) and step == "latest":
        wanted = None
    else:
        number = None if isinstance(step, bool | str) else _integer(step)
        if number is None or number < 0:
            raise InvalidValueError(f'step must be "latest" or a non-negative integer, got {step!r}')
        wanted = number
    if not steps:
        raise _missing_series(tag, name, artifacts())
    if wanted is None:
        return steps[-1]
    chosen = [s for s in steps if s.step == wanted]
    if chosen:
        return chosen[-1]
    numbers = sorted({s.step for s in steps})
    shown = ", ".join(map(str, numbers[-_SHOWN:]))
    more = f" (and {len(numbers) - _SHOWN} lower)" if len(numbers) > _SHOWN else ""
    raise ArtifactNotFound(
        f"experiment {tag} has no checkpoint {name!r} at step {wanted}; its steps are {shown}{more}: "
        f'pass one of them, or step="latest"'
    )


def _missing_series(tag: str, name: str, artifacts: list[str]) -> ArtifactNotFound:
    """No checkpoint at all under ``name``: name the checkpoint series the run has, and the closest."""
    series = sorted(
        {p[0] for a in artifacts if (p := parse_step(a)) is not None and picture_type(a) is None},
    )
    parts = [f"experiment {tag} has no checkpoints {name!r} (saved with save_torch({name!r}, obj, step=N))."]
    hint = closest(name, series)
    if hint:
        parts.append("Did you mean " + " or ".join(repr(h) for h in hint) + "?")
    if series:
        parts.append("Its checkpoint series: " + ", ".join(repr(s) for s in series[:_SHOWN]) + ".")
    else:
        parts.append("It has no checkpoints saved by step.")
    if f"{name}.pt" in artifacts:
        parts.append(f"It has {name + '.pt'!r}, saved without a step: load it with exp[{name + '.pt'!r}].")
    return ArtifactNotFound(" ".join(parts))


def _integer(value: Any) -> int | None:
    try:
        return operator.index(value)
    except TypeError:
        return None
