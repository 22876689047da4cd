"""Checkpoints by step: ``save_torch(name, obj, step=N, keep_last=K)`` and ``save_file(..., step=N)``.

Each step is its own artifact ``<name>/step-<8+ digits><ending>`` (core's
:func:`~lab_workbook_core.keys.step_name`), so a preempted job's next process finds
where to restart by listing them. With ``keep_last=K`` the older steps are deleted,
but only once the newer one is stored, and never on the writer's word alone:

- the put of a step and the :class:`Rotation` that follows it share one upload
  group, so the rotation starts only after the put left the queue (sent, or given
  up, or superseded by a later save of the same step); a put that fails and is
  retried keeps its place, and the rotation waits behind it however long the
  outage lasts;
- the rotation lists the series' steps in the store (one request) and deletes
  nothing unless the step just saved is among them. What it deletes is decided from
  that listing: steps this run saved, and steps stored before it (a resumed run's),
  alike. So an outage, a refused put or a crash can leave more than ``K`` steps,
  never fewer than one.

Which steps stay (:func:`kept_steps`): the step just saved, and the ``K - 1`` highest
others. With steps saved in increasing order that is the ``K`` highest; a run that
went back to an earlier checkpoint and saves a lower step keeps that one too.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
import operator
from typing import TYPE_CHECKING, Any

from lab_workbook_core import InvalidValueError, StorageError, StorageUnavailable
from lab_workbook_core.keys import parse_step, step_ending, steps_prefix

from ._notices import warn

if TYPE_CHECKING:
    from lab_workbook_core import Storage

__all__ = ["Rotation", "checkpoint_ending", "forget_rotated", "kept_steps", "rotation_group"]

_refusals_reported: set[tuple[str, str]] = set()  # (tag, series) whose store refused a rotation's delete


def checkpoint_ending(call: str, step: Any, keep_last: Any, ending: str) -> str:
    """What the artifact's name gets: ``ending`` alone, or ``/step-<8+ digits><ending>`` for a ``step``.

    Raises:
        InvalidValueError: ``keep_last`` without ``step``, or not an integer >= 1; ``step`` not a
            non-negative integer.
    """
    if step is None:
        if keep_last is not None:
            raise InvalidValueError(
                f"{call}: keep_last needs step=: only checkpoints saved by step are rotated "
                "(save_torch(name, obj, step=N, keep_last=2)); without a step each save replaces the last"
            )
        return ending
    if keep_last is not None:
        number = None if isinstance(keep_last, bool) else _integer(keep_last)
        if number is None or number < 1:
            raise InvalidValueError(
                f"{call}: keep_last must be an integer >= 1 (how many of the newest steps to keep), "
                f"got {keep_last!r}; leave it out to keep every step"
            )
    return step_ending(step, ending)


def _integer(value: Any) -> int | None:
    try:
        return operator.index(value)
    except TypeError:
        return None


def kept_steps(steps: Iterable[int], saved: int, keep_last: int) -> set[int]:
    """The steps that stay after saving ``saved``: it, and the ``keep_last - 1`` highest of the others."""
    others = sorted({s for s in steps if s != saved}, reverse=True)
    return {saved, *others[: keep_last - 1]}


def rotation_group(artifact_series: str) -> str:
    """The upload group of a series' checkpoints: their puts and rotations run one at a time, in order."""
    return f"checkpoints:{artifact_series}"


def forget_rotated(artifacts: MutableMapping[str, Any], saved: str, keep_last: int) -> None:
    """Drop from the run record's ``artifacts`` the steps that saving ``saved`` will delete.

    The record lists what the run has; the rotation decides from the store, which agrees
    unless an upload failed (then an extra step may stay stored, unlisted).
    """
    parsed = parse_step(saved)
    if parsed is None:
        return
    series, step, ending = parsed
    steps = {}
    for name in artifacts:
        other = parse_step(name)
        if other is not None and other[0] == series and other[2] == ending:
            steps[other[1]] = name
    keep = kept_steps(steps, step, keep_last)
    for number, name in steps.items():
        if number not in keep:
            del artifacts[name]


class Rotation:
    """Deletes a series' steps beyond ``keep_last`` once the step just saved is stored.

    A :class:`~lab_workbook_writer._spool.Job` of the uploader, queued right after the put of
    ``artifact`` in the same group. Not persisted: a run that dies before it runs keeps its
    extra steps (a resumed run's next rotation deletes them).
    """

    def __init__(self, tag: str, artifact: str, keep_last: int) -> None:
        parsed = parse_step(artifact)
        if parsed is None:  # pragma: no cover - made by checkpoint_ending
            raise InvalidValueError(f"{artifact!r} is not the name of a step")
        self.tag, self.artifact, self.keep_last = tag, artifact, keep_last
        self.series, self.step, self.ending = parsed

    def upload(self, storage: Storage) -> int:
        """List the stored steps and delete those beyond ``keep_last``; nothing if ours is not stored.

        A store that answers but refuses (access denied to the listing or the deletes, a quiet
        batch delete reporting errors) is told once and the steps are kept: the next rotation
        decides again from the store, and a store refusing deletes must not hold up later saves.
        An outage is raised, to be retried (later puts of the series wait behind it).
        """
        try:
            self._rotate(storage)
        except StorageUnavailable:
            raise
        except StorageError as err:
            self._refused(storage, err)
        return 0

    def _rotate(self, storage: Storage) -> None:
        root = len(self.tag) + 1
        stored: dict[int, list[str]] = {}
        for info in storage.list(steps_prefix(self.tag, self.series), delimiter="/").objects:
            parsed = parse_step(info.key[root:])
            if parsed is not None and parsed[0] == self.series and parsed[2] == self.ending:
                stored.setdefault(parsed[1], []).append(info.key)
        if self.step not in stored:  # its put was given up or superseded: keep every older step
            return
        keep = kept_steps(stored, self.step, self.keep_last)
        doomed = [key for step, keys in stored.items() if step not in keep for key in keys]
        if doomed:
            storage.delete(doomed)

    def _refused(self, storage: Storage, err: StorageError) -> None:
        if (self.tag, self.series) in _refusals_reported:
            return
        _refusals_reported.add((self.tag, self.series))
        warn(
            f"experiment {self.tag}: {storage.location} refused to list or delete old checkpoints of "
            f"{self.series!r} ({type(err).__name__}: {err}); they are kept, and the next save tries again. "
            "Allow listing and deletes under the run's prefix (s3:ListBucket, s3:DeleteObject) for keep_last "
            "to take effect"
        )
