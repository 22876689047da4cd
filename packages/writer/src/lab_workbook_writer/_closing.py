"""How a run ends: the close protocol, and the one mapping from an exception to the run's status.

Closing, whoever starts it (``close()``, the end of a ``with`` block, the interpreter's
exit through :mod:`lab_workbook_writer._lifecycle`, an integration), runs once:
the before-close tasks (system metrics stop; an integration may note that training
never ended), then the ticker stops, pictures and the environment are finished, every
series is sealed into its final CSV, and the final run record (a barrier: after
everything else) is queued and waited for, up to a timeout. What is still unsent
then stays in the spool for ``lab-workbook sync``.

The status recorded: ``finished``, unless an outcome was noted first (an uncaught
exception, a signal, an integration's failure) or something was lost (``failed``, its
``error`` naming what): rows or pictures that never reached the spool, a picture that
could not be encoded, an upload the store refused for good (access denied, a missing
bucket: the uploader gives those up; their data stays in the spool for ``lab-workbook sync``).
:func:`outcome_of` is the only place an exception becomes a status: Ctrl-C
(``KeyboardInterrupt``) is ``interrupted``, any other exception ``failed``.
"""

from __future__ import annotations

from collections.abc import Callable
import os
import time
from typing import TYPE_CHECKING, Any

from lab_workbook_core import ExperimentClosedError, InvalidValueError
from lab_workbook_core.record import FAILED, FINISHED, INTERRUPTED, format_time

from . import _lifecycle as lifecycle
from ._notices import warn
from ._spoolfile import spool_error
from ._summary import run_summary

if TYPE_CHECKING:
    from ._runstate import RunState
    from ._ticker import Ticker

__all__ = ["Closing", "describe_exception", "outcome_of"]

_CLOSE_RETRY = 1.0  # while close() waits, a store that answers again is noticed within this
_CLEANUP_WAIT = 5.0  # segment cleanup after the final record: best effort, at most this long


def outcome_of(error: BaseException) -> tuple[str, dict[str, str]]:
    """``("interrupted" | "failed", {"type": ..., "message": ...})`` for the exception that ended a run."""
    status = INTERRUPTED if isinstance(error, KeyboardInterrupt) else FAILED
    return status, describe_exception(error)


def describe_exception(error: BaseException) -> dict[str, str]:
    """``{"type": "ValueError", "message": ...}`` (the type module-qualified unless a builtin)."""
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return {"type": name, "message": str(error)[:4000]}


class Closing:
    """The closing part of an :class:`~lab_workbook_writer.Experiment`, over the run's shared state.

    ``Experiment``'s ``close``, ``__exit__`` and hooks (``on_close``, ``note_outcome``,
    ``note_exception``) call these; their docstrings are the users'. The experiment registers
    this part with :mod:`lab_workbook_writer._lifecycle`, which it leaves once closed.
    """

    def __init__(self, state: RunState, ticker: Ticker) -> None:
        self._state, self._ticker = state, ticker

    def close(self, timeout: float) -> bool:
        """``Experiment.close``: the outcome noted, else ``finished``; ``timeout`` already defaulted."""
        self._run_before_close()
        status, reason = self._state.outcome or (FINISHED, None)
        return self._close(status, reason, timeout)

    def exit(self, error: BaseException | None, timeout: float) -> None:
        """``Experiment.__exit__``: close, recording ``error`` as the outcome unless one was noted first."""
        self._run_before_close()
        outcome = self._state.outcome
        if error is None or (isinstance(error, SystemExit) and error.code in (0, None) and outcome is None):
            status, reason = outcome or (FINISHED, None)
        elif outcome is not None:
            status, reason = outcome
        else:
            status, reason = outcome_of(error)
        self._close(status, reason, timeout)

    def _run_before_close(self) -> None:
        while self._state.before_close:
            try:
                self._state.before_close.pop(0)()
            except Exception as err:  # closing must go on
                warn(f"experiment {self._state.tag}: stopping a background task failed: {type(err).__name__}: {err}")

    # -- the hook surface for integrations (docs/integrations.md, "Writing an integration") ----------

    def on_close(self, callback: Callable[[], None]) -> None:
        """``Experiment.on_close`` (documented there, for users)."""
        if not callable(callback):
            raise InvalidValueError(f"on_close takes a function of no arguments, got {callback!r}")
        with self._state.lock:
            if self._state.closed:
                raise ExperimentClosedError(
                    f"experiment {self._state.tag} is closed: register on_close callbacks while it is open"
                )
            self._state.before_close.append(callback)

    def note_outcome(self, status: str, reason: dict[str, str]) -> None:
        """``Experiment.note_outcome`` (documented there, for users)."""
        if status not in (FAILED, INTERRUPTED):
            raise InvalidValueError(f"note_outcome: status must be {FAILED!r} or {INTERRUPTED!r}, got {status!r}")
        if (
            not isinstance(reason, dict)
            or set(reason) != {"type", "message"}
            or not all(isinstance(v, str) for v in reason.values())
        ):
            raise InvalidValueError(f"note_outcome: reason must be {{'type': str, 'message': str}}, got {reason!r}")
        if self._state.outcome is None:  # no lock: a signal handler may call this while this thread holds one
            self._state.outcome = (status, dict(reason))

    def note_exception(self, error: BaseException) -> None:
        """Say that ``error`` ends the run: ``interrupted`` for Ctrl-C, else ``failed`` (first note wins)."""
        self.note_outcome(*outcome_of(error))

    def note_signal(self, name: str) -> None:
        """The run ends because the process got signal ``name`` (``"SIGTERM"``): ``interrupted``."""
        self.note_outcome(INTERRUPTED, {"type": name, "message": f"terminated by {name}"})

    def _close(self, status: str, reason: dict[str, str] | None, timeout: float) -> bool:
        if os.getpid() != self._state.pid:  # a forked child: the run is its parent's to close
            return False
        with self._state.lock:
            if self._state.closed:
                return not self._state.uploader.unsent() and not self._state.lost_anything()
            self._state.closed = True
        self._run_before_close()
        self._ticker.stop()  # a heartbeat queued after the final record would supersede it
        if self._state.images is not None:
            self._state.images.close()  # pictures still waiting become queued uploads before the final record
        if self._state.environment is not None:
            self._state.environment.finish(10.0)
        sealed = [(series, series.seal()) for series in self._state.series.values()]
        summary = self._summary()  # from the sealed local files, before their upload is queued
        cleanup = []
        for series, segments in sealed:
            self._state.uploader.cancel(series.group, "segment")
            try:
                self._state.queue(series.file_name, series.path, group=series.group)
            except OSError as err:  # no room for its manifest: sync() still sends it through the series' own
                warn(f"experiment {self._state.tag}: {spool_error(series.file_name, series.path, err)}")
            else:
                self._state.spool.forget(self._state.series_notes[series.file_name], keep_data=True)
            if segments:
                cleanup.append((series.group, segments))
        self._state.lost_rows = {s.name: s.lost_rows for s in self._state.series.values() if s.lost_rows}
        known = len(self._state.uploader.lost)  # before the reason: one given up meanwhile is then recorded below
        if self._state.lost_anything():
            status, reason = FAILED, self._loss_reason()
        self._state.queue_record(barrier=True, status=status, ended=format_time(), error=reason, summary=summary)
        final = self._state.uploader.last_seq()
        for group, segments in cleanup:  # after the final record, so they never delay it
            self._state.uploader.submit("delete", keys=segments, group=group)
        self._state.uploader.max_backoff = min(self._state.uploader.max_backoff, _CLOSE_RETRY)
        self._state.uploader.kick()
        started = time.monotonic()
        sent = self._state.uploader.wait(final, timeout)
        if not sent and len(self._state.uploader.lost) > known:  # given up after the final record was queued
            remaining = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
            self._record_refusals(summary, remaining)
        if sent and cleanup:
            left = (
                _CLEANUP_WAIT
                if timeout is None
                else max(0.0, min(_CLEANUP_WAIT, timeout - (time.monotonic() - started)))
            )
            if not self._state.uploader.wait(self._state.uploader.last_seq(), left):
                dropped = [e for group, _ in cleanup for e in self._state.uploader.cancel(group, "delete")]
                for entry in dropped:
                    self._state.spool.forget(entry)
                if dropped:
                    warn(
                        f"experiment {self._state.tag} is recorded complete, but its series segments could not be "
                        f"deleted from {self._state.prefix}; they are harmless (readers use the final CSV)"
                    )
        idle = self._state.uploader.stop(join_timeout=1.0 if sent else 5.0)
        lifecycle.unregister(self)
        if sent and idle:
            self._state.spool.remove()
        elif not sent:
            self._report_unsent(timeout)
            if idle:
                self._state.spool.unlock()
        return sent and not self._state.lost_anything()

    def _loss_reason(self) -> dict[str, str]:
        """The record's ``error`` for what was lost; its ``type`` the first cause (``SpoolError`` for rows)."""
        causes: list[str] = []
        spool = [f"{count:,} of series {name!r}" for name, count in self._state.lost_rows.items()]
        pictures = self._state.lost_pictures()
        if self._state.lost_rows:
            causes.append("SpoolError")
        spooled = [name for name, why in pictures.items() if why == "SpoolError"]
        if spooled:
            spool.append(f"{len(spooled):,} picture(s): {', '.join(map(repr, spooled[:3]))}")
            causes.append("SpoolError")
        parts = []
        if spool:
            parts.append(
                f"{'rows' if self._state.lost_rows else 'pictures'} lost because the spool at {self._state.spool.path} could not be "
                f"written (disk full or failing): {', '.join(spool)}; every row that reached the spool was kept"
            )
        unencoded = {name: why for name, why in pictures.items() if why != "SpoolError"}
        if unencoded:
            named = ", ".join(f"{name!r} ({why})" for name, why in list(unencoded.items())[:3])
            parts.append(f"{len(unencoded):,} picture(s) could not be encoded: {named}")
            causes.append(next(iter(unencoded.values())))
        refused = self._state.uploader.lost
        if refused:
            entry, error = refused[0]
            first = entry.key or f"rows of {entry.group}"
            parts.append(
                f"{len(refused):,} upload(s) refused by the store and not retried, first {first!r} "
                f"({type(error).__name__}: {error}); their data is kept in {self._state.spool.path} for `lab-workbook sync`"
            )
            causes.append(type(error).__name__)
        message = "; ".join(parts)
        warn(f"experiment {self._state.tag}: {message}")
        return {"type": causes[0] if causes else "LabWorkbookError", "message": message}

    def _record_refusals(self, summary: dict[str, Any] | None, timeout: float | None) -> None:
        """Uploads were given up after the final record was queued: record the run ``failed``, naming them.

        As for rows lost, the loss is the record's ``error``, even where an exception ended the run.
        """
        self._state.queue_record(
            barrier=True, status=FAILED, ended=format_time(), error=self._loss_reason(), summary=summary
        )
        self._state.uploader.kick()
        self._state.uploader.wait(self._state.uploader.last_seq(), timeout)

    def _summary(self) -> dict[str, Any] | None:
        """What a runs table needs, for the final record (``None`` if it cannot be made: never fatal)."""
        try:
            with self._state.lock:
                saved = dict(self._state.small_json)
            return run_summary(saved, ((s.file_name, s.path, s.fields) for s in self._state.series.values()))
        except Exception as err:  # a summary is a convenience; closing must go on
            warn(f"experiment {self._state.tag}: no summary in the run record ({type(err).__name__}: {err})")
            return None

    def _report_unsent(self, timeout: float) -> None:
        unsent = [e for e in self._state.uploader.unsent() if e.op != "segment"]
        size = sum(e.size for e in unsent)
        self._state.spool.mark_closed()
        command = "lab-workbook sync"
        if self._state.custom_spool:
            command = f"LAB_WORKBOOK_SPOOL_DIR={self._state.spool.path.parent} {command}"
        taken = self._state.uploader.taken
        if taken is not None:  # waiting, or a plain sync, can never send these: say what can
            warn(
                f"experiment {self._state.tag} is not recorded in {self._state.prefix}: its tag is taken there by another run "
                f"({taken}), which stays intact, so nothing more of this run is sent. Its {len(unsent)} upload(s) "
                f"({size:,} bytes) are kept in {self._state.spool.path}. Send them under a new tag with: "
                f"{command} --retag {self._state.tag}  (or delete them: {command} --discard {self._state.tag})"
            )
            return
        refused = self._state.uploader.refused
        if refused is not None:
            warn(
                f"experiment {self._state.tag} is not recorded in {self._state.prefix}: the store refused its tag's claim "
                f"({refused}); nothing of this run was sent. Its {len(unsent)} upload(s) ({size:,} bytes) are kept "
                f"in {self._state.spool.path}: fix the cause (`lab-workbook doctor` probes the credentials and the "
                f"bucket), then send them with: {command}"
            )
            return
        if unsent:
            warn(
                f"experiment {self._state.tag}: {len(unsent)} upload(s) ({size:,} bytes) did not reach {self._state.prefix} "
                f"within {timeout:g} s; they are kept in {self._state.spool.path}. Send them later with: {command}"
            )
