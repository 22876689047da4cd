"""The few lines the writer prints: the tag on stdout, store trouble on stderr.

A training log is read by people: the writer says each thing once (when the
store first fails, when it recovers, what is left unsent at the end and the
command that sends it) and never a traceback for a problem it handles.
"""

from __future__ import annotations

import sys

__all__ = ["announce_tag", "warn"]

_BOLD, _RESET = "\033[1m", "\033[0m"


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
    """One line on stderr, prefixed so it can be told from the training script's output."""
    try:
        print(f"lab-workbook: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr closed at interpreter exit: nothing better to do
        pass
