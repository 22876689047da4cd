"""``lab-workbook ui``: the local, read-only dashboard, when ``lab-workbook-ui`` is installed.

The dashboard is its own package (a web server and a page are not what a terminal
user needs), imported only when this command runs; without it the command says
how to install it.
"""

from __future__ import annotations

from typing import Annotated, Any

from lab_workbook_core import MissingDependencyError
import typer

from .._options import PrefixOption, unset_option

__all__ = ["ui"]

INSTALL_HINT = (
    "the dashboard is in the lab-workbook-ui package, which is not installed: "
    "pip install lab-workbook-ui (in a checkout of lab-workbook: pip install packages/ui)"
)


def _dashboard() -> Any:
    try:
        import lab_workbook_ui
    except ImportError as err:
        raise MissingDependencyError(INSTALL_HINT) from err
    return lab_workbook_ui


def ui(
    prefix: PrefixOption = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free one).")] = 8765,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to bind. Anything but loopback needs --token and is announced with a warning."
        ),
    ] = "127.0.0.1",
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser tab.")] = False,
    token: Annotated[
        str | None,
        unset_option("--token", metavar="SECRET", help="Secret the page asks for (needed off loopback)."),
    ] = None,
    poll: Annotated[
        float,
        typer.Option("--poll", min=0.2, metavar="SECONDS", help="How often the page looks for new and running runs."),
    ] = 5.0,
    params: Annotated[
        str | None,
        unset_option(
            "--params",
            metavar="ARTIFACT",
            help="A JSON artifact holding parameters, read before parameters.json, hparams.json, training_args.json.",
        ),
    ] = None,
) -> None:
    """Browse, compare and watch runs in a browser: a local, read-only dashboard (Ctrl+C stops it)."""
    dashboard = _dashboard()
    dashboard.serve(
        prefix, host=host, port=port, token=token, open_browser=not no_browser, poll_seconds=poll, params=params
    )
