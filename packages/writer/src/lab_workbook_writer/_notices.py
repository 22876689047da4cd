"""The few lines the writer prints: the tag on stdout, store trouble through :mod:`logging`.

A training log is read by people: the writer says each thing once (when the
store fails, each new kind of failure, when it recovers, what is left unsent at the
end and the command that sends it) and never a traceback for a problem it handles.
A traceback is printed only for a bug (a programming error in lab-workbook).

Messages go to the ``lab_workbook_writer`` logger (warnings; a bug is an error with
its traceback). By default they appear on stderr as one line, ``lab-workbook: <message>``:
the first message installs a stderr handler on that logger only (never on the root
logger), which stays quiet while the application has a handler of its own on that logger
(decided at each message, so a handler added for a while and removed again leaves stderr
as it was). The messages also propagate to the root logger, as any library's do. Route or
silence them with the standard library (docs/writer.md, "Messages")::

    logging.getLogger("lab_workbook_writer").setLevel(logging.ERROR)   # quieter
    logging.getLogger("lab_workbook_writer").addHandler(my_handler)    # elsewhere (ours then stays quiet)
"""

from __future__ import annotations

import logging
import sys
import threading

__all__ = ["LOGGER_NAME", "announce_tag", "logger", "report_bug", "warn"]

#: The logger every writer message goes to.
LOGGER_NAME = "lab_workbook_writer"

logger = logging.getLogger(LOGGER_NAME)

_BOLD, _RESET = "\033[1m", "\033[0m"
_setup = threading.Lock()
_handler: logging.Handler | None = None


class _Stderr(logging.Handler):
    """Writes to the ``sys.stderr`` of the moment (pytest and notebooks replace it), never raising; quiet
    while the logger has another handler (the application's)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("lab-workbook: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if any(handler is not self for handler in logger.handlers):
            return
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except (AttributeError, OSError, ValueError):  # stderr closed at interpreter exit: nothing better to do
            pass


def _default_handler() -> None:
    """Install the stderr handler on our logger, once (it stays quiet beside a handler of the application's)."""
    global _handler
    if _handler is not None:
        return
    with _setup:
        if _handler is None:
            _handler = _Stderr()
            logger.addHandler(_handler)


def announce_tag(tag: str) -> None:
    """Print ``Experiment Tag: <tag>`` on stdout, bold only on a terminal."""
    out = sys.stdout
    line = f"Experiment Tag: {tag}"
    try:
        tty = out.isatty()
    except (AttributeError, ValueError):
        tty = False
    print(f"{_BOLD}{line}{_RESET}" if tty else line, file=out, flush=True)


def warn(message: str) -> None:
    """One warning line (on stderr by default, prefixed so it can be told from the training script's output)."""
    _default_handler()
    logger.warning(message)


def report_bug(message: str, error: BaseException) -> None:
    """An error logged with its traceback: a bug in lab-workbook, to be reported, not a store problem."""
    _default_handler()
    logger.error("%s. This is a bug in lab-workbook: please report it with this traceback", message, exc_info=error)
