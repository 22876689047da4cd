"""The checkpoints of Lightning's ``ModelCheckpoint`` stored by step: ``checkpoints/step-<N>.pt``.

The logger is told after each save (``after_save_checkpoint``); which files to store
follows WandbLogger's ``log_model``: ``"all"`` stores each new file at once, ``True`` the
best and last when the trainer call ends. A file is stored again only if Lightning wrote
it again (its modification time changed). Its step is the ``global_step`` the file holds
(``last.ckpt`` and ``epoch=1-step=8.ckpt`` of the same moment are one step, one artifact);
which step was the best is in ``checkpoints.best.json``, next to the series.
"""

from __future__ import annotations

from pathlib import Path
import re
from typing import TYPE_CHECKING, Any

from ._notices import warn

if TYPE_CHECKING:
    from ._experiment import Experiment

__all__ = ["SERIES", "CheckpointLog"]

SERIES = "checkpoints"
_STEP_IN_NAME = re.compile(r"step=(\d+)")


class CheckpointLog:
    """The checkpoint files already stored, so each version of a file is stored once."""

    def __init__(self) -> None:
        self._stored: dict[str, float] = {}  # path: modification time when stored

    def store(self, experiment: Experiment, callback: Any, fallback_step: int | None) -> None:
        """Store the callback's new or rewritten files (best k, best, last) by step.

        ``fallback_step``: the trainer's step, for a file that torch loads only unsafely and whose
        name has no ``step=N``.
        """
        best = getattr(callback, "best_model_path", "") or ""
        paths = {getattr(callback, "last_model_path", "") or "", best}
        paths.update(str(p) for p in (getattr(callback, "best_k_models", {}) or {}))
        for path in sorted(p for p in paths if p and Path(p).is_file()):
            written = Path(path).stat().st_mtime
            if self._stored.get(path) == written:
                continue
            step = _store_one(experiment, Path(path), fallback_step)
            self._stored[path] = written
            if path == best and step is not None:
                score = getattr(callback, "best_model_score", None)
                experiment.save_json(
                    f"{SERIES}.best",
                    {
                        "step": step,
                        "file": Path(path).name,
                        "monitor": getattr(callback, "monitor", None),
                        "score": None if score is None else float(score),
                    },
                )


def _store_one(experiment: Experiment, path: Path, fallback_step: int | None) -> int | None:
    from ._torch_io import load_weights_only

    named = _STEP_IN_NAME.search(path.name)
    try:
        checkpoint = load_weights_only(path)
    except Exception as err:  # objects torch will not load safely: keep the file as Lightning wrote it
        step = int(named.group(1)) if named else fallback_step
        if step is None:
            warn(f"checkpoint {path.name}: no step known (torch loads it only unsafely: {err}); not stored")
            return None
        warn(f"checkpoint {path.name} holds objects torch loads only unsafely ({err}); stored as the file itself")
        experiment.save_file(path, SERIES, step=step)
        return step
    step = checkpoint.get("global_step") if isinstance(checkpoint, dict) else None
    if not isinstance(step, int):
        step = int(named.group(1)) if named else fallback_step
    if step is None:
        warn(f"checkpoint {path.name}: no step known; not stored")
        return None
    experiment.save_torch(SERIES, checkpoint, step=step)
    return step
