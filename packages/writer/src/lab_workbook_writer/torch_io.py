"""The one module of the writer that imports torch: ``save_torch``, and tensors given to ``save_image``.

A GPU box has torch anyway; a machine that only logs series and parameters does
not need it, so the import is deferred and a missing torch is a clear error.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab_workbook_core import InvalidValueError, MissingDependencyError

if TYPE_CHECKING:
    from .images import Pixels

__all__ = ["save_torch_object", "tensor_pixels"]


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


def tensor_pixels(tensor: Any, grid: bool | int) -> Pixels:
    """A tensor's pixels as 8-bit HWC bytes, copied now (CHW first; float in [0, 1]; a batch with ``grid``).

    The conversion to uint8 runs on the tensor's device, so a CUDA tensor crosses to the
    CPU at a quarter of its float size; the copy is made with ``ctypes`` so numpy is not needed.
    """
    import torch

    from .images import MODES_BY_CHANNELS, Pixels, grid_columns, image_layout

    if not isinstance(tensor, torch.Tensor):
        raise InvalidValueError(f"save_image takes a PIL image, a numpy array or a torch tensor, not {type(tensor).__name__}")
    batch = grid is not False and grid is not None
    order, count, height, width, channels = image_layout(tuple(tensor.shape), channels_first=True, batch=batch)
    pixels = tensor.detach()
    if pixels.dtype == torch.bool:
        pixels = pixels.to(torch.uint8) * 255
    elif pixels.is_floating_point():
        pixels = pixels.double() if pixels.dtype == torch.float64 else pixels.float()
        pixels = pixels.nan_to_num(0.0).mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)
    elif pixels.dtype != torch.uint8:
        raise InvalidValueError(
            f"an image tensor must be uint8 (0-255), float (0-1) or bool, got {pixels.dtype}; "
            "convert it, e.g. tensor.to(torch.uint8)"
        )
    if order.endswith("CHW"):
        pixels = pixels.movedim(-3, -1)
    pixels = pixels.contiguous().cpu()
    data = ctypes.string_at(pixels.data_ptr(), pixels.numel())  # a copy: the caller may reuse its tensor
    result = Pixels(MODES_BY_CHANNELS[channels], width, height, count=count, data=data)
    if batch:
        result.columns = grid_columns(grid, count)
    return result
