"""How a run ends: normal exit, an uncaught exception, Ctrl-C, SIGTERM.

Installed once, at the first ``new_experiment()``:

- ``sys.excepthook`` (chained): an uncaught exception marks every open
  experiment ``failed`` (``KeyboardInterrupt``: ``interrupted``) before the
  previous hook prints the traceback.
- SIGTERM (main thread only, chained): marks open experiments ``interrupted``
  and, unless a previous Python handler takes over, raises ``SystemExit(143)`` so
  the stack unwinds (``with`` blocks close, locks are released) instead of the
  process dying with rows in its buffers.
- Interpreter exit closes what is still open. The hook is registered with
  ``threading``'s exit hooks, which run before ``concurrent.futures`` refuses new
  work (boto3's multipart uploads need it), and with ``atexit`` as a fallback.
  Those hooks run *before* Python waits for non-daemon threads, so the hook first
  waits for them itself (all but ``concurrent.futures`` workers, which only stop
  after it): a training thread that outlives the main code keeps logging until it
  is done, and the run is closed after it.

What status each ending records is decided in :mod:`lab_workbook_writer._closing`; an
experiment registers the three callbacks of an :class:`Ending`, so nothing here reaches
into it.

Experiments made in another process (a forked child, a data loader worker) are
ignored: each experiment records the pid that made it.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
import os
import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Any, NamedTuple

__all__ = ["Ending", "register", "unregister"]


class Ending(NamedTuple):
    """What the hooks do to one open experiment: note why the process ends, then close it."""

    pid: int  # the process that made it: the only one whose endings concern it
    note_exception: Callable[[BaseException], None]  # an uncaught exception ends the process
    note_signal: Callable[[str], None]  # SIGTERM ends it (the signal's name)
    close: Callable[[], object]  # the interpreter exits with the experiment still open


_open: dict[int, Ending] = {}
_lock = threading.Lock()
_installed = False
_sigterm_installed = False
_previous_excepthook = sys.excepthook
_previous_sigterm: Any = signal.SIG_DFL


def register(experiment: object, ending: Ending) -> None:
    """Track an open experiment (installing the hooks on first use): ``ending`` says what to call."""
    _install()
    with _lock:
        _open[id(experiment)] = ending


def unregister(experiment: object) -> None:
    """Stop tracking a closed experiment."""
    with _lock:
        _open.pop(id(experiment), None)


def _mine() -> list[Ending]:
    with _lock:
        return [e for e in _open.values() if e.pid == os.getpid()]


def _install() -> None:
    global _installed, _previous_excepthook
    with _lock:
        first, _installed = not _installed, True
    if first:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _excepthook
        import concurrent.futures.thread  # noqa: F401 - registered before us, so its exit hook runs after ours

        register_threading_exit = getattr(threading, "_register_atexit", None)
        if register_threading_exit is not None:
            register_threading_exit(_close_all)
        atexit.register(_close_all)
    _install_sigterm()


def _install_sigterm() -> None:
    """Only the main thread may set signal handlers: done at the first experiment made there."""
    global _sigterm_installed, _previous_sigterm
    if _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # not allowed here (embedded interpreter): the exit hooks still work
        return
    _previous_sigterm, _sigterm_installed = previous, True


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    for ending in _mine():
        ending.note_exception(value)
    _previous_excepthook(kind, value, tb)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    previous = _previous_sigterm
    if previous == signal.SIG_IGN:
        return
    for ending in _mine():
        ending.note_signal("SIGTERM")
    if callable(previous):
        previous(signum, frame)
    else:
        raise SystemExit(128 + signum)


def _close_all() -> None:
    mine = _mine()
    if mine:
        _wait_for_threads()
    for ending in mine:
        ending.close()


def _wait_for_threads() -> None:
    """Join the non-daemon threads Python would wait for anyway, before closing under them."""
    from concurrent.futures import thread as futures_thread

    workers = set(getattr(futures_thread, "_threads_queues", {}))  # stopped by a hook that runs after ours
    current = threading.current_thread()
    while True:
        waiting = [
            t for t in threading.enumerate() if t is not current and not t.daemon and t not in workers and t.is_alive()
        ]
        if not waiting:
            return
        for thread in waiting:
            thread.join()
