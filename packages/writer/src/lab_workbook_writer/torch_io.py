"""The one module of the writer that imports torch, and only when ``save_torch`` is called.

A GPU box has torch anyway; a machine that only logs series and parameters does
not need it, so the import is deferred and a missing torch is a clear error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab_workbook_core import MissingDependencyError

__all__ = ["save_torch_object"]


def save_torch_object(obj: Any, path: Path) -> None:
    """``torch.save(obj, path)``; the object is copied out of the training process's tensors now."""
    try:
        import torch
    except ImportError as err:
        raise MissingDependencyError(
            "save_torch needs PyTorch, which is not installed: pip install torch "
            "(or pip install 'lab-workbook-writer[torch]')"
        ) from err
    torch.save(obj, path)
