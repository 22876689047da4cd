"""The ``lab-workbook`` command: the typer app, its commands, and the console-script entry.

Each command lives in its own module under :mod:`lab_workbook_cli._commands`; this
module only assembles them. Errors are handled once, by
:class:`~lab_workbook_cli._errors.ReportingGroup`, so every command has the same exit
codes (0 ok, 1 user error, 2 usage error) through the console script and through
``typer.testing.CliRunner``.
"""

from __future__ import annotations

from collections.abc import Callable
import os
import sys
from typing import Annotated

from lab_workbook_core.versions import versions_report
import typer

from ._commands.cat import cat
from ._commands.checkout import checkout
from ._commands.config import config
from ._commands.diff import diff
from ._commands.doctor import doctor
from ._commands.env import env
from ._commands.get import get
from ._commands.index import index
from ._commands.list import list_runs
from ._commands.plot import plot
from ._commands.show import show
from ._commands.sync import sync
from ._commands.ui import ui
from ._errors import ReportingGroup
from ._tags import TagCommand

__all__ = ["app", "main"]

app = typer.Typer(
    name="lab-workbook",
    cls=ReportingGroup,
    help="Experiment tracking for PyTorch with no server: browse, fetch and compare runs.",
    epilog="Tags: a full tag, a unique prefix of one, or latest / -1 (newest), -2 (the one before)...",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    """``--version``: every installed lab-workbook package and the formats they write and read."""
    if value:
        typer.echo(versions_report())
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Show the versions of every lab-workbook package and the formats they read, and exit.",
        ),
    ] = False,
) -> None:
    """Experiment tracking for PyTorch with no server: browse, fetch and compare runs."""


_COMMANDS: list[tuple[str, Callable[..., None], str, type[TagCommand] | None]] = [
    ("list", list_runs, "Runs, newest first: tag, started, status, duration, description.", None),
    ("show", show, "One run: record, artifacts, parameters, last values.", TagCommand),
    ("cat", cat, "An artifact on stdout (patches coloured on a terminal).", TagCommand),
    ("get", get, "Download artifacts into a folder, never outside it.", TagCommand),
    ("diff", diff, "Two runs compared: parameters and code patches.", TagCommand),
    ("env", env, "The packages, Python and CUDA a run used; --diff another run.", TagCommand),
    ("checkout", checkout, "Re-create a run's code in a new folder: commit, patch, untracked files.", TagCommand),
    ("plot", plot, "A series field of several runs as one PNG.", TagCommand),
    ("index", index, "Write the store's runs index now; --rebuild after deleting runs.", None),
    ("sync", sync, "Send what training runs left in the local spool.", None),
    ("config", config, "The effective store and where it came from; --init.", None),
    ("doctor", doctor, "Check credentials, bucket access and write permission.", None),
    ("ui", ui, "A local, read-only dashboard in the browser (lab-workbook-ui).", None),
]
for _name, _function, _short, _cls in _COMMANDS:
    app.command(_name, short_help=_short, cls=_cls)(_function)


def main() -> None:
    """Console-script entry point: run the app; a closed pipe (``| head``) ends quietly."""
    try:
        app(prog_name="lab-workbook")
    except BrokenPipeError:
        # Python flushes stdout at exit: point it at devnull so that does not fail too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
