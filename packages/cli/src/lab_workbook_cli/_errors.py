"""How failures reach the user: exit codes, one line on stderr, never a traceback.

Exit codes are the contract of every command:

- ``0``: success;
- ``1``: a user error: an unknown tag or artifact, a bad config, a store that refuses
  us, a local file we cannot write. One ``error: ...`` line on stderr (the message
  of a :class:`~lab_workbook_core.errors.LabWorkbookError` already says what to do);
- ``2``: a usage error (unknown option, missing argument), reported by typer.

Anything else (a bare ``KeyError``, an ``OSError`` naming no file) is a bug of ours,
not the user's: it is never disguised as a one-line user error, and shows its
traceback so it can be reported.

Set ``LAB_WORKBOOK_DEBUG=1`` to get the full traceback instead, for bug reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
import os
import sys
from typing import Any, TextIO
import warnings

from lab_workbook_core import LabWorkbookError
import typer
from typer.core import TyperGroup

from ._safe_text import neutralise

__all__ = ["USER_ERROR", "CliError", "ReportingGroup", "reported_errors"]

USER_ERROR = 1


class CliError(LabWorkbookError):
    """A user error the CLI itself detects (an ambiguous tag, a file that exists...)."""


def _message(err: BaseException) -> str:
    if isinstance(err, OSError) and not isinstance(err, LabWorkbookError) and err.filename:
        return f"{err.filename}: {err.strerror or err}"
    return str(err) or type(err).__name__


def _is_user_error(err: BaseException) -> bool:
    """Ours, or a local file the user named that cannot be used (it has a file name)."""
    if isinstance(err, LabWorkbookError):
        return True
    return isinstance(err, OSError) and not isinstance(err, BrokenPipeError) and bool(err.filename)


def _warning_printer() -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints each distinct warning once, as one line.

    Why not leave repeats to the warnings filter: its registry is reset by every
    ``catch_warnings`` anywhere in the process (pandas enters many), so a long-running command
    (``lab-workbook ui``, which reads its runs table again at every poll) would print the same
    warning about the same damaged run every few seconds.
    """
    shown: set[str] = set()

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        text = f"warning: {message}\n"
        if text not in shown:
            shown.add(text)
            sys.stderr.write(text)

    return show


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn our errors into exit code 1 with one line on stderr; warnings become one line too (each once)."""
    with warnings.catch_warnings():
        warnings.showwarning = _warning_printer()
        try:
            yield
        except (LabWorkbookError, OSError) as err:
            if os.environ.get("LAB_WORKBOOK_DEBUG") or not _is_user_error(err):
                raise
            typer.echo(f"error: {neutralise(_message(err))}", err=True)
            raise typer.Exit(USER_ERROR) from None


class ReportingGroup(TyperGroup):
    """The top-level command group: every subcommand runs inside :func:`reported_errors`.

    Doing it here rather than only in ``main()`` means the behaviour is the same
    through the console script and through ``typer.testing.CliRunner``.
    """

    # typer declares ``ctx`` as its vendored click Context, which it does not export; ours is its subclass.
    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        with reported_errors():
            return super().invoke(ctx)
