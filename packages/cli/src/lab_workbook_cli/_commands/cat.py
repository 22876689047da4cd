"""``lab-workbook cat``: an artifact's bytes on stdout, exactly as stored.

A CSV is its text (a series still in segments is assembled first), a model is its
bytes: ``cat TAG model.pt > model.pt`` is a download. Only patches get colour, and
only on a terminal (with the reader's highlighter; ``NO_COLOR`` turns it off); piped, they stay byte for byte.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .._options import PrefixOption, TagArgument
from .._output import stdout_console
from .._store import find_experiment, open_repository

__all__ = ["PATCH_ENDINGS", "cat"]

PATCH_ENDINGS = (".git-patch", ".git-untracked", ".patch", ".diff")


def cat(
    tag: TagArgument,
    artifact: Annotated[
        str, typer.Argument(metavar="ARTIFACT", help="Artifact name, e.g. 'Training loss.csv'.", show_default=False)
    ],
    prefix: PrefixOption = None,
) -> None:
    """Print an artifact to stdout (raw bytes; patches coloured on a terminal)."""
    wb = open_repository(prefix)
    data = find_experiment(wb, tag).read_bytes(artifact)
    console = stdout_console()
    if artifact.endswith(PATCH_ENDINGS) and console.is_terminal and not console.no_color:
        from lab_workbook import highlight_patch

        sys.stdout.write(highlight_patch(data.decode("utf-8", errors="replace"), colour=True))  # the console decided
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
