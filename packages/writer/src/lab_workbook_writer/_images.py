"""What ``save_image`` and ``save_figure`` take, turned into :class:`Pixels` on the calling thread.

The calling thread only *snapshots* the picture (the caller may change its tensor or
figure right after the call): a copy of a PIL image, or of an array's or CPU tensor's
memory (one ``memcpy``, no numpy or torch kernel: on a busy machine torch's thread pool
makes even small kernels cost milliseconds). Converting to 8-bit ``HWC`` (a
:attr:`Pixels.finish` step), tiling a batch into a grid and PNG encoding happen on the
experiment's encoder thread (:mod:`lab_workbook_writer._encoder`).

numpy is never imported here: an object is a numpy array only if numpy is already
loaded. A tensor's layout is read here, its memory copied and converted in
:mod:`lab_workbook_writer._torch_io`, the one module that imports torch. Pillow is imported when a picture is saved, never at import.

Conventions, also in ``docs/writer.md``: ``HW`` is grayscale; a 3-D array is ``HWC``
(numpy) or ``CHW`` (torch) with 1, 3 or 4 channels, and the other order is accepted when
the first guess does not fit; float values are in ``[0, 1]`` and become
``floor(x * 255 + 0.5)`` clipped to 0..255 (NaN becomes 0), as torchvision does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
import math
import sys
from typing import Any

from lab_workbook_core import InvalidValueError, MissingDependencyError

__all__ = [
    "GRID_PADDING",
    "MODES_BY_CHANNELS",
    "Pixels",
    "figure_pixels",
    "grid_columns",
    "image_layout",
    "image_pixels",
    "require_pillow",
]

#: Pixels of value 0 between and around the tiles of a grid (as ``torchvision.utils.make_grid``).
GRID_PADDING = 2
#: The PIL mode of a picture with this many channels.
MODES_BY_CHANNELS = {1: "L", 3: "RGB", 4: "RGBA"}
_PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"})
_CONVERTED_MODES = frozenset({"CMYK", "YCbCr", "LAB", "HSV", "PA", "La", "RGBa", "RGBX"})


@dataclass
class Pixels:
    """A picture (or a batch to tile), detached from the caller's objects.

    Attributes:
        mode: the PIL mode (``L``, ``RGB``, ``RGBA``, ...).
        width, height: of one picture.
        count: pictures in ``data`` (or ``images``), tiled into a grid when ``columns`` > 0.
        columns: grid columns; 0 for a single picture.
        data: ``count`` pictures of ``height`` x ``width`` x channels uint8 bytes, or None.
        images: copies of PIL images, or None.
        finish: makes ``data`` from the snapshot, on the encoder thread (see :meth:`ready`).
        nbytes: memory held until the picture is encoded (what the encoder's backlog limit counts).
    """

    mode: str
    width: int
    height: int
    count: int = 1
    columns: int = 0
    data: bytes | None = None
    images: list[Any] | None = None
    finish: Callable[[], bytes] | None = None
    nbytes: int = 0

    def __post_init__(self) -> None:
        if not self.nbytes:
            self.nbytes = len(self.data) if self.data is not None else self.count * self.width * self.height * 4

    def ready(self) -> Pixels:
        """Run the deferred conversion (on the encoder thread); the pixels are then in ``data``."""
        if self.finish is not None:
            self.data, self.finish = self.finish(), None
        return self


def require_pillow(call: str) -> None:
    """Import Pillow now, so that a missing one fails at the call, naming the extra to install."""
    try:
        import PIL.Image  # noqa: F401
    except ImportError as err:
        raise MissingDependencyError(
            f"{call} needs Pillow, which is not installed: pip install 'lab-workbook-writer[images]' "
            "(or pip install Pillow)"
        ) from err


def image_layout(shape: Sequence[int], *, channels_first: bool, batch: bool) -> tuple[str, int, int, int, int]:
    """How to read an array of this shape: ``(order, count, height, width, channels)``.

    ``order`` is one of ``HW``, ``HWC``, ``CHW`` or, for a batch, ``NHW``, ``NHWC``, ``NCHW``.
    ``channels_first`` is the guess tried first when both orders fit (torch: CHW; numpy: HWC).
    """
    shape = tuple(int(s) for s in shape)
    if 0 in shape:
        raise InvalidValueError(f"an image cannot be empty, got an array of shape {shape}")
    ndim = len(shape)
    if ndim == 2 and not batch:
        return "HW", 1, shape[0], shape[1], 1
    if ndim == 3 and batch:
        return "NHW", shape[0], shape[1], shape[2], 1
    if ndim in (3, 4) and (ndim == 4) == batch:
        lead = ndim - 3  # 1 for a batch axis
        first, last = shape[lead] in MODES_BY_CHANNELS, shape[-1] in MODES_BY_CHANNELS
        prefix = "N" if batch else ""
        n = shape[0] if batch else 1
        if (channels_first and first) or (first and not last):
            return prefix + "CHW", n, shape[lead + 1], shape[lead + 2], shape[lead]
        if last:
            return prefix + "HWC", n, shape[lead], shape[lead + 1], shape[-1]
        raise InvalidValueError(
            f"cannot read an image of shape {shape}: the channels (1, 3 or 4) must be first (CHW) or last (HWC)"
        )
    if batch:
        raise InvalidValueError(
            f"grid= tiles a batch: an array of shape (N, C, H, W), (N, H, W, C) or (N, H, W), got shape {shape}"
        )
    hint = "; a batch of images: pass grid=True (or grid=<columns>) to tile it" if ndim == 4 else ""
    raise InvalidValueError(f"an image must be HW, HWC or CHW, got an array of shape {shape}{hint}")


def grid_columns(grid: Any, count: int) -> int:
    """Columns of the grid of ``count`` pictures: ``grid=True`` makes it about square."""
    if grid is True:
        root = math.isqrt(count)
        return root + (root * root < count)
    if isinstance(grid, int) and grid >= 1:
        return min(grid, count)
    raise InvalidValueError(f"grid must be False, True or a number of columns >= 1, got {grid!r}")


def image_pixels(image: Any, grid: bool | int = False) -> Pixels:
    """Snapshot a PIL image, numpy array, torch tensor, or (with ``grid``) a list of them."""
    batch = grid is not False and grid is not None
    module = type(image).__module__
    if module.startswith("torch"):
        return _tensor_pixels(image, grid if batch else False)
    if module == "numpy" or module.startswith("numpy."):
        pixels = _array_pixels(image, channels_first=False, batch=batch)
    elif _is_pil(image):
        if batch:
            raise InvalidValueError("grid= tiles a batch (an array or a list of images), not one PIL image")
        pixels = _pil_pixels([image])
    elif isinstance(image, (list, tuple)) and batch:
        return _list_pixels(image, grid)
    else:
        raise InvalidValueError(
            f"save_image takes a PIL image, a numpy array or a torch tensor (HW, HWC or CHW), not "
            f"{type(image).__name__}{'; a list of images needs grid=True' if isinstance(image, (list, tuple)) else ''}"
        )
    if batch:
        pixels.columns = grid_columns(grid, pixels.count)
    return pixels


def _tensor_pixels(tensor: Any, grid: bool | int) -> Pixels:
    """A tensor's picture (CHW tried first; a batch with ``grid``): torch's part is in :mod:`._torch_io`."""
    from ._torch_io import image_tensor_shape, snapshot_tensor

    batch = grid is not False and grid is not None
    order, count, height, width, channels = image_layout(image_tensor_shape(tensor), channels_first=True, batch=batch)
    snapshot = snapshot_tensor(tensor, order)
    # nbytes 0 (a CUDA tensor, converted already): counted as 4 bytes a pixel, as any picture not yet encoded
    pixels = Pixels(
        MODES_BY_CHANNELS[channels], width, height, count=count, finish=snapshot.finish, nbytes=snapshot.nbytes
    )
    pixels.data = snapshot.data
    if batch:
        pixels.columns = grid_columns(grid, count)
    return pixels


def _is_pil(image: Any) -> bool:
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(image, pil.Image)


def _pil_pixels(images: Sequence[Any]) -> Pixels:
    copies = []
    for image in images:
        if image.mode not in _PNG_MODES and image.mode not in _CONVERTED_MODES:
            raise InvalidValueError(
                f"cannot save a PIL image of mode {image.mode!r} as PNG; convert it first, e.g. image.convert('RGB')"
            )
        copies.append(image.copy())
    first = copies[0]
    if any(c.size != first.size or c.mode != first.mode for c in copies):
        raise InvalidValueError("the images of a grid must all have one size and mode")
    return Pixels(first.mode, first.width, first.height, count=len(copies), images=copies)


def _list_pixels(items: Sequence[Any], grid: Any) -> Pixels:
    if not items:
        raise InvalidValueError("grid=: the list of images is empty")
    parts = [image_pixels(item) for item in items]
    first = parts[0]
    if any((p.mode, p.width, p.height) != (first.mode, first.width, first.height) for p in parts):
        raise InvalidValueError("the images of a grid must all have one size and number of channels")
    if all(p.images is not None for p in parts):
        pixels = Pixels(
            first.mode, first.width, first.height, count=len(parts), images=[i for p in parts for i in p.images or ()]
        )
    elif all(p.images is None for p in parts):
        pixels = Pixels(
            first.mode,
            first.width,
            first.height,
            count=len(parts),
            finish=lambda: b"".join(p.ready().data or b"" for p in parts),
            nbytes=sum(p.nbytes for p in parts),
        )
    else:
        raise InvalidValueError("a grid takes either PIL images or arrays/tensors, not a mix")
    pixels.columns = grid_columns(grid, pixels.count)
    return pixels


def _array_pixels(array: Any, *, channels_first: bool, batch: bool) -> Pixels:
    np = sys.modules["numpy"]
    order, n, h, w, c = image_layout(array.shape, channels_first=channels_first, batch=batch)
    if array.dtype.kind not in "bf" and array.dtype != np.uint8:
        raise InvalidValueError(
            f"an image array must be uint8 (0-255), float (0-1) or bool, got dtype {array.dtype}; "
            "convert it, e.g. array.astype('uint8')"
        )
    snapshot = np.array(array, copy=True, order="C")  # the caller may reuse its array
    return Pixels(
        MODES_BY_CHANNELS[c], w, h, count=n, finish=lambda: _array_hwc_uint8(snapshot, order), nbytes=snapshot.nbytes
    )


def _array_hwc_uint8(array: Any, order: str) -> bytes:
    np = sys.modules["numpy"]
    kind = array.dtype.kind
    if kind == "b":
        array = array.astype(np.uint8) * 255
    elif kind == "f":
        floats = array.astype(np.float32) if array.dtype.itemsize < 4 else array
        array = np.clip(np.nan_to_num(floats, nan=0.0) * 255 + 0.5, 0, 255).astype(np.uint8)
    if order.endswith("CHW"):
        array = np.moveaxis(array, -3, -1)
    data: bytes = np.ascontiguousarray(array).tobytes()
    return data


def figure_pixels(figure: Any, dpi: float | None = None) -> Pixels:
    """Render a matplotlib figure to RGBA pixels now (a figure is not safe to draw from another thread)."""
    savefig = getattr(figure, "savefig", None)
    if not callable(savefig) or not hasattr(figure, "get_size_inches"):
        raise InvalidValueError(
            f"save_figure takes a matplotlib Figure (plt.figure(), fig of plt.subplots()), not {type(figure).__name__}"
        )
    import io

    resolution = float(dpi if dpi is not None else figure.dpi)
    buffer = io.BytesIO()
    savefig(buffer, format="rgba", dpi=resolution)
    data = buffer.getvalue()
    width_in, height_in = figure.get_size_inches()
    width, height = int(width_in * resolution), int(height_in * resolution)  # as matplotlib's Agg renderer
    for w, h in ((width, height), (round(width_in * resolution), round(height_in * resolution))):
        if w * h * 4 == len(data):
            return Pixels("RGBA", w, h, data=data)
    from PIL import Image  # an unusual canvas: let matplotlib encode it, here

    buffer = io.BytesIO()
    savefig(buffer, format="png", dpi=resolution)
    buffer.seek(0)
    with Image.open(buffer) as png:
        png.load()
        return Pixels(png.mode, png.width, png.height, images=[png.copy()])
