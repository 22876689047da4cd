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
import os
from pathlib import Path
import shutil
from typing import TYPE_CHECKING, Any
import warnings

from lab_workbook_core import ExperimentClosedError, InvalidNameError, SpoolError, validate_name
from lab_workbook_core.environment import ENVIRONMENT_ARTIFACT
from lab_workbook_core.keys import artifact_key, image_ending, is_reserved, parse_step, segment_key

from . import _gitstate as gitstate
from ._checkpoints import Rotation, checkpoint_ending, forget_rotated, rotation_group
from ._encoder import ImageEncoder
from ._forks import forked_child_message
from ._images import figure_pixels, image_pixels, require_pillow
from ._json_io import encode_json
from ._limits import check_key
from ._spoolfile import spool_error
from ._summary import MAX_JSON_BYTES

if TYPE_CHECKING:
    from ._runstate import RunState

__all__ = ["Saving"]


class Saving:
    """The saving part of an :class:`~lab_workbook_writer.Experiment`, over the run's shared state.

    ``Experiment``'s ``save_*`` methods are these; their docstrings are the users'.
    """

    def __init__(self, state: RunState) -> None:
        self._state = state

    def save_json(self, name: str, value: Any) -> None:
        """Save ``value`` as ``<name>.json`` (strict JSON: NaN or Infinity raise here, naming where)."""
        artifact = self.artifact_name(name, ".json")
        data = encode_json(value, name)
        path = self._state.spool.new_data_path(".json")
        with self._spooling(artifact, path):
            path.write_bytes(data)
            self._state.queue(artifact, path)
        self._state.keep_small_json(artifact, data if len(data) <= MAX_JSON_BYTES else None)

    def save_torch(self, name: str, obj: Any, *, step: int | None = None, keep_last: int | None = None) -> None:
        """``Experiment.save_torch`` (documented there, for users)."""
        from ._torch_io import save_torch_object

        artifact = self.artifact_name(name, checkpoint_ending("save_torch", step, keep_last, ".pt"))
        path = self._state.spool.new_data_path(".pt")
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
        """``Experiment.save_file`` (documented there, for users)."""
        source = Path(path)
        ending = checkpoint_ending("save_file", step, keep_last, "" if step is None else source.suffix)
        default = source.name if step is None else source.name.removesuffix(source.suffix)
        artifact = self.artifact_name(default if name is None else name, ending)
        copy = self._state.spool.new_data_path(source.suffix)
        source.stat()  # a missing source is the caller's FileNotFoundError, not the spool's
        with self._spooling(artifact, copy):
            shutil.copyfile(source, copy)
            self._queue_step(artifact, copy, keep_last)

    def _queue_step(self, artifact: str, path: Path, keep_last: int | None) -> None:
        """Queue a put; for a checkpoint's step, in its series' group, then its rotation (``_checkpoints``)."""
        state = self._state
        parsed = parse_step(artifact)
        if parsed is None:
            state.queue(artifact, path)
            return
        group = rotation_group(parsed[0])
        state.queue(artifact, path, group=group)
        if keep_last is not None:
            with state.lock:
                artifacts = dict(state.record.current.artifacts or {})
                forget_rotated(artifacts, artifact, keep_last)
                state.record.update(artifacts=artifacts)
            state.uploader.submit_job(Rotation(state.tag, artifact, keep_last), group=group)

    def save_image(self, name: str, image: Any, step: int | None = None, *, grid: bool | int = False) -> None:
        """``Experiment.save_image`` (documented there, for users)."""
        artifact = self.artifact_name(name, image_ending(step))
        require_pillow("save_image")
        self._image_encoder().submit(artifact, image_pixels(image, grid))

    def save_figure(self, name: str, figure: Any, step: int | None = None, *, dpi: float | None = None) -> None:
        """``Experiment.save_figure`` (documented there, for users)."""
        artifact = self.artifact_name(name, image_ending(step))
        require_pillow("save_figure")
        self._image_encoder().submit(artifact, figure_pixels(figure, dpi))

    def _image_encoder(self) -> ImageEncoder:
        state = self._state
        with state.lock:
            if state.images is None:
                state.images = ImageEncoder(self._save_encoded, label=state.tag)
            return state.images

    def _save_encoded(self, artifact: str, data: bytes) -> None:
        path = self._state.spool.new_data_path(".png")
        with self._spooling(artifact, path):
            path.write_bytes(data)
            self._state.queue(artifact, path)

    def save_git_status(self, name: str = "Source", repo: str | os.PathLike[str] | None = None) -> bool:
        """``Experiment.save_git_status`` (documented there, for users)."""
        for ending in (".git-current-commit", ".git-patch", ".git-untracked"):
            self.artifact_name(name, ending)
        folder = Path(repo) if repo is not None else Path.cwd()
        state = gitstate.capture(folder)
        if state is None:
            warnings.warn(
                f"save_git_status: {folder} is not inside a git repository (or git is not installed); "
                f"no {name}.git-* artifacts were saved",
                stacklevel=3,  # the user's call of Experiment.save_git_status, which calls this
            )
            return False
        for ending, data in (
            (".git-current-commit", state.commit),
            (".git-patch", state.patch),
            (".git-untracked", state.untracked),
        ):
            path = self._state.spool.new_data_path(ending)
            with self._spooling(name + ending, path):
                path.write_bytes(data)
                self._state.queue(name + ending, path)
        self._state.keep_git_commit(lambda: gitstate.head_commit(folder))
        return True

    def artifact_name(self, name: str, ending: str, *, series: bool = False) -> str:
        """The artifact's name for ``name`` + ``ending`` (in the run's namespace), checked; the run must be open.

        Raises:
            ExperimentClosedError: the run is closed, or this is a forked child of its process.
            InvalidNameError: a name that is not allowed, reserved, or makes too long a key.
        """
        self.check_open()
        state = self._state
        validate_name(name, "artifact name")
        artifact = validate_name(state.namespace + name + ending, "artifact name")
        if is_reserved(artifact) or artifact == ENVIRONMENT_ARTIFACT:
            raise InvalidNameError(
                f"artifact name {artifact!r} is reserved for lab-workbook's own objects; pick another"
            )
        what = f"artifact name {artifact!r}"
        check_key(state.storage.location, artifact_key(state.tag, artifact), what)
        if series:  # its segments are stored under a longer key while the run goes
            check_key(state.storage.location, segment_key(state.tag, artifact, 1), what)
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

    def check_open(self) -> None:
        """Raise :class:`ExperimentClosedError` unless the run is open in the process that made it."""
        state = self._state
        if os.getpid() != state.pid:
            raise ExperimentClosedError(forked_child_message("this save", state.tag, state.pid))
        if state.closed:
            raise ExperimentClosedError(
                f"experiment {state.tag} is closed; experiments are immutable once closed: "
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
