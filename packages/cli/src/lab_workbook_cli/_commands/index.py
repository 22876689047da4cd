"""``lab-workbook index``: write the store's runs index now (``docs/format.md``, "The runs index").

Readers write index objects by themselves once they have read 1,000 finished runs that no
index holds, unless the lab turned that off (``indexWrites = off``); this command writes one
whatever that setting says, for every finished run the index does not hold yet, and with
``--rebuild`` replaces the whole index (after runs were deleted by hand, or an index object
was damaged).
"""

from __future__ import annotations

import json as json_module
from typing import Annotated

import typer

from .._options import JsonOption, PrefixOption
from .._store import open_repository

__all__ = ["index"]


def index(
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Replace the whole index with one holding every finished run listed now "
            "(after runs were deleted by hand); older index objects are deleted.",
        ),
    ] = False,
    prefix: PrefixOption = None,
    json: JsonOption = False,
) -> None:
    """Index the store's finished runs, so that any reader reads them in a few requests."""
    wb = open_repository(prefix)
    written = wb.write_index(rebuild=rebuild)
    if json:
        typer.echo(
            json_module.dumps(
                {"key": written.key, "runs": written.runs, "replaced": written.replaced, "reason": written.reason}
            )
        )
    elif written.key is None:
        typer.echo(f"nothing to write: {written.reason}")
    else:
        replaced = f", replacing {written.replaced} older object{'s' * (written.replaced != 1)}" * bool(
            written.replaced
        )
        typer.echo(f"indexed {written.runs:,} finished runs in {wb.storage.url(written.key)}{replaced}")
