"""``new_experiment(fork=TAG, step=N)``: a new run that names the run it started from.

A fork is a run of its own (a tag of its own, a record of its own): only its record's
``parent`` (``{"tag": TAG, "step": N}``, ``docs/format.md``) ties it to the parent run,
which it never changes. The parent is checked once, at start: one GET of its run record.
"""

from __future__ import annotations

import operator
from typing import Any

from lab_workbook_core import ExperimentNotFound, InvalidValueError, ObjectNotFound, Storage, StorageUnavailable
from lab_workbook_core.keys import run_record_key
from lab_workbook_core.tags import validate_tag

from ._notices import warn

__all__ = ["check_parent", "fork_parent"]


def fork_parent(fork: str | None, step: Any) -> dict[str, Any] | None:
    """The record's ``parent`` for ``new_experiment(fork=..., step=...)``; ``None`` for a run that is no fork.

    Raises:
        InvalidValueError: ``step`` without ``fork``, or a step that is not a non-negative integer,
            or ``fork`` that is not a tag.
    """
    if fork is None:
        if step is not None:
            raise InvalidValueError(f"step={step!r} is the step of the run a fork starts from: pass fork=TAG with it")
        return None
    if step is not None:
        try:
            number = None if isinstance(step, bool) else operator.index(step)
        except TypeError:
            number = None
        if number is None or number < 0:
            raise InvalidValueError(f"step must be a non-negative integer (the parent's step), got {step!r}")
        step = number
    return {"tag": validate_tag(fork), "step": step}


def check_parent(storage: Storage, tag: str) -> None:
    """Make sure the run ``tag`` exists (its record is stored): one GET.

    A store that cannot be reached does not stop the run (as for the claim): the parent is
    recorded unchecked, with a warning.

    Raises:
        ExperimentNotFound: the store has no run record under ``tag``.
    """
    try:
        storage.get_bytes(run_record_key(tag))
    except ObjectNotFound:
        raise ExperimentNotFound(
            f"cannot fork run {tag}: {storage.location.url} has no run {tag} (no run record); "
            "check the tag (lab-workbook list shows the runs) and the store"
        ) from None
    except StorageUnavailable as err:
        warn(
            f"cannot reach {storage.location.url} to check the parent run {tag} ({type(err).__name__}); recording it unchecked"
        )
