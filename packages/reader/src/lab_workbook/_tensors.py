"""Loading ``.pt`` artifacts: the only module of the reader that imports torch, and only when called.

Models are loaded with ``torch.load(weights_only=True, map_location="cpu")``: a
pickle that would run code (``os.system`` and the like) is refused by torch's
restricted unpickler instead of being executed, so opening a colleague's run is safe.
"""

from __future__ import annotations

import io
from typing import Any

from lab_workbook_core import CorruptArtifactError, MissingDependencyError

__all__ = ["load_torch"]


def load_torch(data: bytes, where: str, *, weights_only: bool = True, map_location: Any = "cpu") -> Any:
    """A ``torch.save`` file's content, loaded safely on the CPU (by default).

    ``weights_only=False`` (for checkpoints of a run you trust) lets torch run the pickle;
    ``map_location`` is ``torch.load``'s.

    Raises:
        MissingDependencyError: torch is not installed.
        CorruptArtifactError: the file is not a torch file, or holds objects the safe
            loader refuses (which is what a malicious pickle looks like).
    """
    try:
        import torch
    except ImportError as err:
        raise MissingDependencyError(
            f"loading {where} needs PyTorch: pip install 'lab-workbook[torch]' (or any torch build); "
            "exp.read_bytes(name) returns the raw bytes without it"
        ) from err
    try:
        return torch.load(io.BytesIO(data), weights_only=weights_only, map_location=map_location)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, ValueError... for bad files
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if weights_only and ("weights_only" in str(err) or "Unsupported global" in str(err)):
            raise CorruptArtifactError(
                f"refused to load {where}: it contains Python objects that torch's safe loader "
                f"(weights_only=True) does not allow, which could run code on this machine ({detail}). "
                "If you trust who wrote it, get exp.read_bytes(name) and call torch.load yourself."
            ) from err
        raise CorruptArtifactError(f"{where} is not a loadable torch file: {detail}") from err
