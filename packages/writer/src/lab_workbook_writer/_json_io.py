"""JSON artifacts: strict JSON (no NaN/Infinity), with errors that name the bad value's path.

``json.dumps`` says "Out of range float values are not JSON compliant" without
saying where; in a nested parameters dict that is useless, so on failure we walk
the value and name the path (``parameters['optim']['lr']``). numpy and one-element
torch values are converted with ``.item()`` (numpy arrays with ``.tolist()``)
without importing either library.
"""

from __future__ import annotations

import json
import math
from typing import Any

from lab_workbook_core import InvalidValueError

__all__ = ["encode_json"]


def encode_json(value: Any, name: str) -> bytes:
    """UTF-8 JSON text for ``value``, or :class:`InvalidValueError` naming what is wrong and where."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, indent=2, default=_convert)
    except (ValueError, TypeError, RecursionError) as err:
        path, problem = _find_problem(value, name) or (name, str(err))
        raise InvalidValueError(f"cannot save {name!r} as JSON: {path} {problem}") from None
    return (text + "\n").encode("utf-8")


def _convert(value: Any) -> Any:
    module = type(value).__module__ or ""
    if module == "numpy" or module.startswith(("numpy.", "torch")):
        size = getattr(value, "numel", None)
        count = int(size()) if callable(size) else int(getattr(value, "size", 1))
        if count == 1 or getattr(value, "ndim", None) == 0:
            return value.item()
        if hasattr(value, "tolist"):
            return value.tolist()
    raise TypeError(f"has type {type(value).__name__}, which JSON cannot hold")


def _find_problem(value: Any, path: str, depth: int = 0) -> tuple[str, str] | None:
    if depth > 200:
        return path, "nests too deeply (a reference cycle?)"
    if isinstance(value, float):
        if not math.isfinite(value):
            return path, f"is {value!r}; JSON has no NaN or Infinity: store None or a string such as 'inf' instead"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool) and key is not None:
                return f"{path}[{key!r}]", f"has a {type(key).__name__} key; JSON keys are strings"
            found = _find_problem(item, f"{path}[{key!r}]", depth + 1)
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _find_problem(item, f"{path}[{index}]", depth + 1)
            if found:
                return found
        return None
    if value is None or isinstance(value, str | int | bool):
        return None
    try:
        converted = _convert(value)
    except TypeError as err:
        return path, f"{err}; convert it to a number, string, list or dict"
    return _find_problem(converted, path, depth + 1)
