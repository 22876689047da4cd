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
    _flatten_into(flat, value, prefix)
    return flat


_LEAVES = (str, int, float, bool, list, type(None))


def _flatten_into(flat: dict[str, Any], mapping: Mapping[Any, Any], prefix: str) -> None:
    # One dict filled in place, and JSON's own types told apart before the (slow) Mapping check:
    # a runs table flattens every run's parameters, 10,000 of them in a second call.
    for key, item in mapping.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if type(item) is dict or (not isinstance(item, _LEAVES) and isinstance(item, Mapping)):
            _flatten_into(flat, item, name)
        else:
            flat[name] = item
