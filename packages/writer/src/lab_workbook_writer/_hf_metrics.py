"""Which series a Hugging Face Trainer's metrics go to: ``train.csv``, ``eval.csv``, ``test.csv``...

The Trainer names a stage's metrics by a prefix, ``metric_key_prefix``: ``evaluate()``
logs ``eval_loss`` by default, ``evaluate(metric_key_prefix="test")`` logs ``test_loss``,
``predict()`` reports ``test_*``, and the end of ``train()`` logs a ``train_*`` summary.
Every such dict holds ``<prefix>_runtime`` (the Trainer's speed metrics), so the prefix
is read from it rather than guessed from names: ``evaluate(metric_key_prefix="holdout")``
lands in ``holdout.csv``. Metrics logged by hand (``trainer.log({...})``) go by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["metric_stages", "scalar"]

_RUNTIME = "_runtime"
_NAMED_STAGES = ("eval", "test")  # a dict without a runtime: these name prefixes still say the stage


def scalar(value: Any) -> Any:
    """``value`` as a number, text or boolean a series cell holds; None for anything else (lists, dicts...).

    One-element numpy and torch values become Python numbers, as the built-in reporters do
    (MLflow's ``.item()``).
    """
    if isinstance(value, bool | int | float | str):
        return value
    item, size = getattr(value, "item", None), getattr(value, "numel", None)
    count = size() if callable(size) else getattr(value, "size", None)
    if callable(item) and count == 1:
        converted = item()
        return converted if isinstance(converted, bool | int | float) else None
    return None


def metric_stages(logs: Mapping[str, Any], default: str = "train") -> dict[str, dict[str, Any]]:
    """``logs`` split by stage: ``{"eval": {"eval_loss": 0.3, ...}}``; values a cell cannot hold are left out.

    A dict with ``<prefix>_runtime`` is that stage's report: its ``<prefix>_*`` metrics go to
    ``<prefix>``. Other metrics go by name to ``eval`` or ``test`` (``eval_acc``), else to ``default``
    (``train`` for ``on_log``; ``on_evaluate`` and ``on_predict`` pass their own).
    """
    prefixes = sorted((k[: -len(_RUNTIME)] for k in logs if k.endswith(_RUNTIME) and len(k) > len(_RUNTIME)), key=len)
    stages: dict[str, dict[str, Any]] = {}
    for key, raw in logs.items():
        value = scalar(raw)
        if value is None:
            continue
        stage = next((p for p in reversed(prefixes) if key.startswith(f"{p}_")), None)
        if stage is None:
            stage = next((s for s in _NAMED_STAGES if key.startswith(f"{s}_")), default)
        stages.setdefault(stage, {})[key] = value
    return stages
