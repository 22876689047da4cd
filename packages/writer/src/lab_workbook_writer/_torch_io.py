"""The one module of the writer that imports torch: ``save_torch``, tensors given to ``save_image``, and the CUDA facts of a run.

A GPU box has torch anyway; a machine that only logs series and parameters does
not need it, so the import is deferred and a missing torch is a clear error.
:func:`cuda_facts` never imports torch: it asks the torch the script already
imported (``sys.modules``), so recording the environment never costs torch's import.
Also here: loading a Lightning checkpoint safely (``weights_only``) and sending the
run's tag from rank 0 to the other processes of a ``torch.distributed`` job.
"""

from __future__ import annotations

from collections.abc import Callable
import ctypes
from pathlib import Path
import re
import sys
from typing import Any, NamedTuple

from lab_workbook_core import InvalidValueError, MissingDependencyError

__all__ = [
    "TensorSnapshot",
    "broadcast_from_rank0",
    "cuda_facts",
    "image_tensor_shape",
    "load_weights_only",
    "nvidia_driver",
    "save_torch_object",
    "snapshot_tensor",
]

_DRIVER = re.compile(r"Kernel Module\s+(?:for\s+\S+\s+)?(\d+(?:\.\d+)+)")


def save_torch_object(obj: Any, path: Path) -> None:
    """``torch.save(obj, path)``; the object is copied out of the training process's tensors now.

    Written through a Python file object, so that a failing disk surfaces as the
    ``OSError`` behind torch's ``RuntimeError`` (its ``__context__``), not only as
    an opaque C++ stream message.
    """
    torch = _torch()
    with open(path, "wb") as file:
        torch.save(obj, file)


def load_weights_only(path: Path) -> Any:
    """``torch.load`` restricted to tensors and plain containers (never unpickles code), on the CPU."""
    return _torch().load(path, map_location="cpu", weights_only=True)


def broadcast_from_rank0(value: tuple[str | None, int | None]) -> tuple[str, int]:
    """Rank 0's ``(tag, attempt)`` on every rank (a ``torch.distributed`` collective: all ranks call it)."""
    import torch.distributed as dist

    box: list[Any] = [value]
    dist.broadcast_object_list(box, src=0)
    tag, attempt = box[0]
    return str(tag), int(attempt)


def _torch() -> Any:
    try:
        import torch
    except ImportError as err:
        raise MissingDependencyError(
            "save_torch needs PyTorch, which is not installed: pip install torch "
            "(or pip install 'lab-workbook-writer[torch]')"
        ) from err
    return torch


def image_tensor_shape(tensor: Any) -> tuple[int, ...]:
    """The shape of a tensor given to ``save_image``.

    Raises:
        InvalidValueError: ``tensor`` is not a torch tensor.
    """
    import torch

    if not isinstance(tensor, torch.Tensor):
        raise InvalidValueError(
            f"save_image takes a PIL image, a numpy array or a torch tensor, not {type(tensor).__name__}"
        )
    return tuple(tensor.shape)


class TensorSnapshot(NamedTuple):
    """A tensor's picture, detached from the caller's tensor (see :func:`snapshot_tensor`).

    Attributes:
        data: 8-bit ``HWC`` bytes made now (a CUDA tensor), or None.
        finish: makes them later, on the encoder thread, from a copy of a CPU tensor's memory; or None.
        nbytes: memory the copy holds until then (0 when ``data`` is already made).
    """

    data: bytes | None
    finish: Callable[[], bytes] | None
    nbytes: int


def snapshot_tensor(tensor: Any, order: str) -> TensorSnapshot:
    """A tensor's picture (laid out as ``order``: ``CHW``, ``NHWC``...; float in [0, 1]), snapshotted now.

    A CPU tensor is copied as raw memory (``ctypes``: no torch kernel runs on the calling
    thread, and numpy is not needed); the conversion to 8-bit HWC runs later on the
    encoder thread. A CUDA tensor is converted on its device first, so it crosses to
    the CPU at a quarter of its float size.

    Raises:
        InvalidValueError: the tensor is not uint8, float or bool.
    """
    import torch

    if tensor.dtype not in (torch.uint8, torch.bool) and not tensor.is_floating_point():
        raise InvalidValueError(
            f"an image tensor must be uint8 (0-255), float (0-1) or bool, got {tensor.dtype}; "
            "convert it, e.g. tensor.to(torch.uint8)"
        )
    if tensor.device.type != "cpu":
        return TensorSnapshot(_raw_bytes(_hwc_uint8(tensor.detach(), order).cpu()), None, 0)
    # as few torch calls as possible: each releases the GIL, and a busy thread may keep it ~5 ms
    snapshot = tensor if tensor.is_contiguous() else tensor.detach().contiguous()
    raw, dtype, shape = _raw_bytes(snapshot), tensor.dtype, tuple(tensor.shape)
    return TensorSnapshot(
        None,
        lambda: _raw_bytes(_hwc_uint8(torch.frombuffer(bytearray(raw), dtype=dtype).reshape(shape), order)),
        len(raw),
    )


def _hwc_uint8(pixels: Any, order: str) -> Any:
    """floor(x * 255 + 0.5) clipped for floats, 0/255 for booleans; channels last; contiguous."""
    import torch

    if pixels.dtype == torch.bool:
        pixels = pixels.to(torch.uint8) * 255
    elif pixels.is_floating_point():
        pixels = pixels.double() if pixels.dtype == torch.float64 else pixels.float()
        pixels = pixels.nan_to_num(0.0).mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)
    if order.endswith("CHW"):
        pixels = pixels.movedim(-3, -1)
    return pixels.contiguous()


def _raw_bytes(tensor: Any) -> bytes:
    """A copy of a contiguous CPU tensor's memory."""
    return ctypes.string_at(tensor.data_ptr(), tensor.numel() * tensor.element_size())


def cuda_facts() -> dict[str, str]:
    """torch's version, CUDA and cuDNN builds, and the GPUs it sees, as ``Environment.txt`` facts.

    Empty when the script has not imported torch: CUDA is then not queried, so the
    capture never imports torch nor initialises CUDA itself.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return {}
    facts = {"torch": str(torch.__version__)}
    try:
        facts["torch-cuda"] = str(torch.version.cuda or "none")
        if getattr(torch.version, "hip", None):
            facts["torch-hip"] = str(torch.version.hip)
        cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        facts["cudnn"] = str(cudnn) if cudnn else "none"
        if torch.cuda.is_available():
            facts["gpus"] = "; ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
            driver = nvidia_driver()
            if driver:
                facts["nvidia-driver"] = driver
        else:
            facts["gpus"] = "none"
    except Exception as err:  # a broken CUDA setup is a fact too, not a reason to lose the rest
        facts["cuda-error"] = f"{type(err).__name__}: {err}"
    return facts


def nvidia_driver(proc_file: Path = Path("/proc/driver/nvidia/version")) -> str | None:
    """The NVIDIA kernel driver's version (Linux), read from ``/proc``: no subprocess, no NVML."""
    try:
        match = _DRIVER.search(proc_file.read_text(errors="replace"))
    except OSError:
        return None
    return match[1] if match else None
