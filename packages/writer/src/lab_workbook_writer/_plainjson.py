"""Framework configuration as plain JSON: what the Lightning and Hugging Face integrations save.

``save_json`` is strict on purpose: a user's own parameters should fail loudly
when they cannot be stored exactly. A framework's hyperparameters and arguments
are not the user's to fix, and they routinely hold things JSON cannot (an
activation class, a ``torch.dtype``, an enum, NaN): the integrations store those
as text rather than fail a training run over a bookkeeping detail. Values under a
name that looks like a credential are replaced by a marker: lab-workbook never
records secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import enum
import math
import re
from typing import Any

__all__ = ["REDACTED", "plain_json"]

REDACTED = "<redacted>"
_SECRET = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE", re.IGNORECASE)


def plain_json(value: Any, depth: int = 0) -> Any:
    """``value`` as dicts, lists, strings, finite numbers, booleans and None."""
    if depth > 50:
        return repr(value)[:200]
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, enum.Enum):
        return plain_json(value.value, depth + 1)
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if _SECRET.search(str(k)) and v else plain_json(v, depth + 1) for k, v in value.items()
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain_json({f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, depth + 1)
    if isinstance(value, list | tuple | set | frozenset):
        return [plain_json(v, depth + 1) for v in value]
    module = type(value).__module__ or ""
    if module == "numpy" or module.startswith(("numpy.", "torch")):
        size = getattr(value, "numel", None)
        count = int(size()) if callable(size) else int(getattr(value, "size", 0) or 0)
        if count == 1 and hasattr(value, "item"):
            return plain_json(value.item(), depth + 1)
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return str(value)
