"""Saving artifacts: each ``save_*`` call writes its value into the spool now and queues its upload.

Nothing here waits for the store. A value is serialised on the caller's thread
(JSON, ``torch.save``, a file copy; a picture's pixels are copied and encoded on
another thread) into the experiment's spool folder, and the put is queued; a
later save of the same name supersedes an earlier one still waiting. A failure of
the spool's disk is a :class:`SpoolError` that says what to do; a bad name or
value is refused at the call, before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import hashlib
import os
from pathlib import Path
import shutil
import threading
from typing import TYPE_CHECKING, Any
import warnings

from lab_workbook_core import ExperimentClosedError, InvalidNameError, SpoolError, Storage, validate_name
from lab_workbook_core.environment import ENVIRONMENT_ARTIFACT
from lab_workbook_core.keys import artifact_key, image_ending, is_reserved, parse_step, segment_key

from . import _gitstate as gitstate
from ._checkpoints import Rotation, checkpoint_ending, forget_rotated, rotation_group
from ._encoder import ImageEncoder
from ._images import figure_pixels, image_pixels, require_pillow
from ._json_io import encode_json
from ._limits import check_key
from ._series import forked_child_message
from ._spoolfile import spool_error
from ._summary import MAX_JSON_BYTES

if TYPE_CHECKING:
    from ._runrecord import RunRecord
    from ._spool import ExperimentSpool
    from ._uploader import Uploader

__all__ = ["Saving", "size_and_sha256"]


class Saving:
    """The saving half of :class:`~lab_workbook_writer._experiment.Experiment` (a mixin: it shares its state)."""

    if TYPE_CHECKING:  # the experiment's state and the queueing this mixin uses
        tag: str
        pid: int
        namespace: str
        storage: Storage
        _lock: threading.Lock
        _closed: bool
        _images: ImageEncoder | None
        _small_json: dict[str, bytes]
        _record: RunRecord
        _spool: ExperimentSpool
        _uploader: Uploader

        def _queue(self, artifact: str, path: Path, *, group: str | None = None) -> None: ...

    def save_json(self, name: str, value: Any) -> None:
        """Save ``value`` as ``<name>.json`` (strict JSON: NaN or Infinity raise here, naming where)."""
        artifact = self._artifact_name(name, ".json")
        data = encode_json(value, name)
        path = self._spool.new_data_path(".json")
        with self._spooling(artifact, path):
            path.write_bytes(data)
            self._queue(artifact, path)
        with self._lock:
            if len(data) <= MAX_JSON_BYTES:
                self._small_json[artifact] = data
            else:
                self._small_json.pop(artifact, None)

    def save_torch(self, name: str, obj: Any, *, step: int | None = None, keep_last: int | None = None) -> None:
        """Save a state_dict (or anything ``torch.save`` takes) as ``<name>.pt``; needs torch.

        Args:
            name: the artifact's name; with ``step``, the name of a series of checkpoints.
            obj: what to save.
            step: the training step: stored as ``<name>/step-<8 digits>.pt``, a checkpoint of
                its own (``exp.checkpoints(name)`` lists them); without it each save replaces the last.
            keep_last: keep only this many checkpoints of the series: the step just saved and
                the highest others. Older ones are deleted only once this one is stored.

        Raises:
            InvalidValueError: ``keep_last`` without ``step`` or below 1; a negative ``step``.
        """
        from ._torch_io import save_torch_object

        artifact = self._artifact_name(name, checkpoint_ending("save_torch", step, keep_last, ".pt"))
        path = self._spool.new_data_path(".pt")
        with self._spooling(artifact, path):
            try:
                save_torch_object(obj, path)
            except BaseException as err:
                path.unlink(missing_ok=True)
                disk = _os_error_behind(err)
                if disk is not None and disk is not err:
                    raise disk from err  # torch reports a full disk as a RuntimeError
                raise
            self._queue_step(artifact, path, keep_last)

    def save_file(
        self,
        path: str | os.PathLike[str],
        name: str | None = None,
        *,
        step: int | None = None,
        keep_last: int | None = None,
    ) -> None:
        """Save a copy of a local file (taken now) as ``name``, by default the file's own name.

        With ``step`` (and ``keep_last``) the file is a checkpoint, as in :meth:`save_torch`:
        ``<name>/step-<8 digits><the file's ending>``, ``name`` defaulting to the file's name
        without its ending (``ckpt.safetensors`` gives ``ckpt/step-00000100.safetensors``).
        """
        source = Path(path)
        ending = checkpoint_ending("save_file", step, keep_last, "" if step is None else source.suffix)
        default = source.name if step is None else source.name.removesuffix(source.suffix)
        artifact = self._artifact_name(default if name is None else name, ending)
        copy = self._spool.new_data_path(source.suffix)
        source.stat()  # a missing source is the caller's FileNotFoundError, not the spool's
        with self._spooling(artifact, copy):
            shutil.copyfile(source, copy)
            self._queue_step(artifact, copy, keep_last)

    def _queue_step(self, artifact: str, path: Path, keep_last: int | None) -> None:
        """Queue a put; for a checkpoint's step, in its series' group, then its rotation (``_checkpoints``)."""
        parsed = parse_step(artifact)
        if parsed is None:
            self._queue(artifact, path)
            return
        group = rotation_group(parsed[0])
        self._queue(artifact, path, group=group)
        if keep_last is not None:
            with self._lock:
                artifacts = dict(self._record.current.artifacts or {})
                forget_rotated(artifacts, artifact, keep_last)
                self._record.update(artifacts=artifacts)
            self._uploader.submit_job(Rotation(self.tag, artifact, keep_last), group=group)

    def save_image(self, name: str, image: Any, step: int | None = None, *, grid: bool | int = False) -> None:
        """Save a picture as ``<name>.png``, or as ``<name>/step-<8 digits>.png`` for a ``step``; needs Pillow.

        Takes a PIL image, a numpy array or a torch tensor: ``HW``, ``HWC`` or ``CHW``, uint8 or
        float in [0, 1] (see ``docs/writer.md``). The pixels are copied now; the PNG is encoded
        and uploaded in the background.

        Args:
            name: the picture's name, or the name of a series of pictures when ``step`` is given.
            image: the picture; with ``grid``, a batch (``NCHW``, ``NHWC``, ``NHW``) or a list of pictures.
            step: the training step; each step is its own artifact, listed by ``exp.images(name)``.
            grid: tile a batch into one picture: ``True`` (about square) or a number of columns.

        Raises:
            MissingDependencyError: Pillow is not installed (``pip install 'lab-workbook-writer[images]'``).
            InvalidValueError: not a picture this understands (the message says why).
        """
        artifact = self._artifact_name(name, image_ending(step))
        require_pillow("save_image")
        self._image_encoder().submit(artifact, image_pixels(image, grid))

    def save_figure(self, name: str, figure: Any, step: int | None = None, *, dpi: float | None = None) -> None:
        """Save a matplotlib figure as a PNG, named as :meth:`save_image` names pictures.

        The figure is rendered now (matplotlib is not thread-safe; you may close it right after);
        the PNG is encoded and uploaded in the background. ``dpi`` defaults to the figure's.
        """
        artifact = self._artifact_name(name, image_ending(step))
        require_pillow("save_figure")
        self._image_encoder().submit(artifact, figure_pixels(figure, dpi))

    def _image_encoder(self) -> ImageEncoder:
        with self._lock:
            if self._images is None:
                self._images = ImageEncoder(self._save_encoded, label=self.tag)
            return self._images

    def _save_encoded(self, artifact: str, data: bytes) -> None:
        path = self._spool.new_data_path(".png")
        with self._spooling(artifact, path):
            path.write_bytes(data)
            self._queue(artifact, path)

    def save_git_status(self, name: str = "Source", repo: str | os.PathLike[str] | None = None) -> bool:
        """Save ``<name>.git-current-commit``, ``<name>.git-patch`` and ``<name>.git-untracked``.

        Outside a git repository (or without git) this warns once and saves nothing.

        Args:
            name: the artifacts' common name.
            repo: a folder inside the repository to record; default the working directory.

        Returns:
            True if the three artifacts were saved.
        """
        for ending in (".git-current-commit", ".git-patch", ".git-untracked"):
            self._artifact_name(name, ending)
        folder = Path(repo) if repo is not None else Path.cwd()
        state = gitstate.capture(folder)
        if state is None:
            warnings.warn(
                f"save_git_status: {folder} is not inside a git repository (or git is not installed); "
                f"no {name}.git-* artifacts were saved",
                stacklevel=2,
            )
            return False
        for ending, data in (
            (".git-current-commit", state.commit),
            (".git-patch", state.patch),
            (".git-untracked", state.untracked),
        ):
            path = self._spool.new_data_path(ending)
            with self._spooling(name + ending, path):
                path.write_bytes(data)
                self._queue(name + ending, path)
        with self._lock:
            if self._record.current.git_commit is None:
                self._record.update(git_commit=gitstate.head_commit(folder))
        return True

    def _artifact_name(self, name: str, ending: str, *, series: bool = False) -> str:
        self._check_open()
        validate_name(name, "artifact name")
        artifact = validate_name(self.namespace + name + ending, "artifact name")
        if is_reserved(artifact) or artifact == ENVIRONMENT_ARTIFACT:
            raise InvalidNameError(
                f"artifact name {artifact!r} is reserved for lab-workbook's own objects; pick another"
            )
        what = f"artifact name {artifact!r}"
        check_key(self.storage.location, artifact_key(self.tag, artifact), what)
        if series:  # its segments are stored under a longer key while the run goes
            check_key(self.storage.location, segment_key(self.tag, artifact, 1), what)
        return artifact

    @contextmanager
    def _spooling(self, artifact: str, path: Path) -> Iterator[None]:
        """Turn a failure of the spool's disk into a :class:`SpoolError` that says what to do."""
        try:
            yield
        except OSError as err:
            if isinstance(err, SpoolError) or not path.parent.is_dir():
                raise
            path.unlink(missing_ok=True)
            raise spool_error(artifact, path.parent, err) from err

    def _check_open(self) -> None:
        if os.getpid() != self.pid:
            raise ExperimentClosedError(forked_child_message("this save", self.tag, self.pid))
        if self._closed:
            raise ExperimentClosedError(
                f"experiment {self.tag} is closed; experiments are immutable once closed: "
                "start a new one with new_experiment()"
            )


def _os_error_behind(err: BaseException) -> OSError | None:
    """The ``OSError`` that caused ``err``, following ``__cause__``/``__context__``, if any."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def size_and_sha256(path: Path) -> tuple[int, str]:
    """The file's size and SHA-256, for the run record's list of artifacts."""
    with open(path, "rb") as data:
        digest = hashlib.file_digest(data, "sha256")
    return path.stat().st_size, digest.hexdigest()
