"""How nested parameters are named in tables and comparisons: ``{"model": {"depth": 20}}`` -> ``model.depth``.

One rule for the runs table (``params.model.depth``), :meth:`Experiment.diff`, ``lab-workbook
show`` and ``diff``, and the dashboard, so a parameter has the same name everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["flatten_parameters"]


def flatten_parameters(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``, or ``{"<prefix>.a.b": 1}`` with a prefix.

    Lists stay whole (a list is one parameter). A value that is not a mapping is one
    parameter named ``prefix`` (``""`` without one).
    """
    if not isinstance(value, Mapping):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        flat.update(flatten_parameters(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat
