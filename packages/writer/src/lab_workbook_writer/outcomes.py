"""How a run ended, from the exception that ended it: the one mapping every closing path uses.

``with new_experiment(...)``, the uncaught-exception hook (:mod:`lab_workbook_writer.lifecycle`)
and the framework integrations all record the same status for the same exception: Ctrl-C
(``KeyboardInterrupt``) is ``interrupted``, any other exception ``failed``, with the error's
type and message in the run record.
"""

from __future__ import annotations

from .runrecord import describe_exception

__all__ = ["outcome_of"]


def outcome_of(error: BaseException) -> tuple[str, dict[str, str]]:
    """``("interrupted" | "failed", {"type": ..., "message": ...})`` for the exception that ended a run."""
    status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
    return status, describe_exception(error)
