"""The encoder thread of an experiment: pictures become PNG files in the spool, then ordinary saves.

``save_image`` hands over :class:`~lab_workbook_writer._images.Pixels` and returns; this
thread converts them to 8-bit pixels, tiles a batch into a grid, encodes the PNG (Pillow releases the GIL while it
compresses, so the training thread keeps running) and passes the bytes to the
experiment's ``write`` callback, which spools them and queues the upload exactly as
``save_json`` does: from there the uploader's rules apply (non-blocking, a superseded
save of one name sent once, kept in the spool until sent).

A picture still waiting here is superseded like a queued upload: saving the same name
again before it was encoded drops the older one unencoded. The backlog is bounded
(``max_bytes`` of pixels): past it ``save_image`` waits for the encoder, so memory stays
bounded however fast pictures come. ``close()`` (the experiment's close, also at exit)
encodes everything still waiting before the final run record is queued.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
import io
import threading
import time
from typing import Any

from lab_workbook_core import ExperimentClosedError, SpoolError

from ._images import GRID_PADDING, Pixels
from ._notices import warn

__all__ = ["ImageEncoder", "encode_png"]

_MAX_BYTES = 256 * 1024 * 1024


class ImageEncoder:
    """One thread encoding one experiment's pictures, in the order they were saved.

    Args:
        write: called (on the encoder thread) with the artifact name and its PNG bytes.
        label: how thread names and messages name the experiment (its tag).
        max_bytes: pixels waiting to be encoded before ``submit`` waits.
    """

    def __init__(self, write: Callable[[str, bytes], None], *, label: str, max_bytes: int = _MAX_BYTES) -> None:
        self._write, self.label, self.max_bytes = write, label, max_bytes
        self._cond = threading.Condition()
        self._jobs: deque[tuple[str, Pixels]] = deque()
        self._waiting = 0  # bytes of pixels in _jobs
        self._busy = False
        self._closed = False
        self.encoded = 0
        #: Pictures that could not be stored, and why (the run is then recorded failed, naming them).
        self.lost: dict[str, str] = {}
        self._thread = threading.Thread(target=self._work, name=f"lab-workbook-images-{label}", daemon=True)
        self._thread.start()

    def submit(self, artifact: str, pixels: Pixels) -> None:
        """Queue a picture; an older one of the same name not encoded yet is dropped."""
        with self._cond:
            if self._closed:
                raise ExperimentClosedError(f"experiment {self.label} is closed; start a new one with new_experiment()")
            for old in [job for job in self._jobs if job[0] == artifact]:
                self._jobs.remove(old)
                self._waiting -= old[1].nbytes
            while self._waiting and self._waiting + pixels.nbytes > self.max_bytes:
                self._cond.wait()
            self._jobs.append((artifact, pixels))
            self._waiting += pixels.nbytes
            self._cond.notify_all()

    def wait(self, timeout: float | None) -> bool:
        """Block until every picture submitted so far is encoded and queued for upload; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._jobs or self._busy:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def close(self) -> None:
        """Encode what is waiting, then stop the thread (later submits raise)."""
        self.wait(None)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self._closed:
                    self._cond.wait()
                if not self._jobs:
                    return
                artifact, pixels = self._jobs.popleft()
                self._busy = True
            try:
                self._write(artifact, encode_png(pixels))
                self.encoded += 1
            except SpoolError as err:  # already says what to do
                self.lost[artifact] = "SpoolError"
                warn(f"experiment {self.label}: {err}")
            except Exception as err:  # a picture must never take the training run down: it is counted as lost
                self.lost[artifact] = type(err).__name__
                warn(
                    f"experiment {self.label}: could not save image {artifact!r} ({type(err).__name__}: {err}); "
                    "the run will be recorded failed, naming it"
                )
            finally:
                with self._cond:
                    self._waiting -= pixels.nbytes
                    self._busy = False
                    self._cond.notify_all()


def encode_png(pixels: Pixels) -> bytes:
    """The PNG of a picture, or of a batch tiled row by row with ``GRID_PADDING`` black pixels around each tile."""
    from PIL import Image

    pixels.ready()
    tiles: list[Any]
    if pixels.images is not None:
        tiles = pixels.images
    else:
        data = pixels.data or b""
        size = len(data) // max(1, pixels.count)
        tiles = [  # (a slice of the whole bytes object is that object: one picture is not copied)
            Image.frombuffer(
                pixels.mode, (pixels.width, pixels.height), data[i * size : (i + 1) * size], "raw", pixels.mode, 0, 1
            )
            for i in range(pixels.count)
        ]
    image = tiles[0] if pixels.columns == 0 else _tile(tiles, pixels.columns)
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        image = image.convert("RGBA" if "A" in image.mode or "a" in image.mode else "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _tile(tiles: list[Any], columns: int) -> Any:
    from PIL import Image

    if tiles[0].mode == "P":  # each tile may have its own palette
        tiles = [tile.convert("RGBA") for tile in tiles]
    width, height, pad = tiles[0].width, tiles[0].height, GRID_PADDING
    rows = -(-len(tiles) // columns)
    grid = Image.new(tiles[0].mode, (columns * (width + pad) + pad, rows * (height + pad) + pad), 0)
    for i, tile in enumerate(tiles):
        row, column = divmod(i, columns)
        grid.paste(tile, (pad + column * (width + pad), pad + row * (height + pad)))
    return grid
