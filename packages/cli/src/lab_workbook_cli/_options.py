"""Options shared by every command, declared once so they read the same everywhere."""

from __future__ import annotations

from typing import Annotated, Any

import typer

__all__ = ["JsonOption", "ParamsOption", "PrefixOption", "TagArgument", "unset_option"]


def unset_option(*flags: str, help: str, metavar: str | None = None) -> Any:
    """An option that is ``None`` when not given: its help says what happens then, so no default is shown."""
    return typer.Option(*flags, metavar=metavar, show_default=False, help=help)


PrefixOption = Annotated[
    str | None,
    typer.Option(
        "--prefix",
        "-p",
        metavar="PREFIX",
        show_default=False,
        help="Store to use: s3://bucket/path/ or a folder. Default: $LAB_WORKBOOK_PREFIX, "
        "then ~/.lab-workbook-config, then the built-in local store.",
    ),
]

JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print machine-readable JSON (stable keys, ISO 8601 UTC dates) instead of a table."),
]

ParamsOption = Annotated[
    str, typer.Option("--params", metavar="ARTIFACT", help="The JSON artifact holding the parameters.")
]

#: One run, as every single-run command takes it (resolved by ``tags.resolve_tag``).
TagArgument = Annotated[
    str, typer.Argument(metavar="TAG", help="Tag, unique tag prefix, latest or -1.", show_default=False)
]
