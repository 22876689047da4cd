"""``lab-workbook diff``: what changed between two runs: parameters, commit and code.

The comparison itself is the reader's (:meth:`lab_workbook.Experiment.diff`); this
command lays it out: the parameters side by side (only those that differ unless
``--all``), the two commits when they differ, and the unified diff between the two
runs' code patches, coloured on a terminal. When one run was forked from the other (or
either from a third), a first line says so (``B was forked from A at step 20000``). One line says whether the two
environments (``Environment.txt``) differ; ``lab-workbook env A --diff B`` has the detail.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

from rich.text import Text
import typer

from .._options import JsonOption, ParamsOption, PrefixOption
from .._output import make_table, print_json, print_table, stdout_console
from .._store import find_experiment, open_repository

if TYPE_CHECKING:
    from lab_workbook_core.attempts import Parent

__all__ = ["diff"]


def diff(
    tag_a: Annotated[str, typer.Argument(metavar="TAG_A", help="The earlier run.", show_default=False)],
    tag_b: Annotated[str, typer.Argument(metavar="TAG_B", help="The later run.", show_default=False)],
    all_params: Annotated[
        bool, typer.Option("--all", help="Show every parameter, not only those that differ.")
    ] = False,
    params: ParamsOption = "parameters.json",
    patch: Annotated[
        str, typer.Option("--patch", metavar="ARTIFACT", help="The code patch artifact to compare.")
    ] = "Source.git-patch",
    prefix: PrefixOption = None,
    json: JsonOption = False,
) -> None:
    """Compare two runs: parameters side by side and the code patches compared."""
    wb = open_repository(prefix)
    a, b = find_experiment(wb, tag_a), find_experiment(wb, tag_b)
    changes = a.diff(b, params=params, patch=patch)
    rows = [p._asdict() for p in changes.parameters]  # every parameter of either run, compared once
    environment = changes.environment
    if not all_params:
        rows = [r for r in rows if r["differs"]]
    if json:
        print_json(
            {
                "before": a.tag,
                "after": b.tag,
                "parameters": rows,
                "commits": {"before": changes.commits[0], "after": changes.commits[1]},
                "patch": changes.patch,
                "environment": environment,
                "parents": {"before": _parent(changes.parents[0]), "after": _parent(changes.parents[1])},
            }
        )
        return
    _print(a.tag, b.tag, rows, changes, all_params, patch, environment)


def _print(
    before: str,
    after: str,
    rows: list[dict[str, Any]],
    changes: Any,
    all_params: bool,
    patch: str,
    environment: str | None,
) -> None:
    console = stdout_console()
    for line in changes.lineage():
        console.print(Text(line))
    if rows:
        title = "parameters" if all_params else "parameters that differ (--all for every one)"
        table = make_table("parameter", before, after, title=title)
        for row in rows:
            style = "bold" if row["differs"] and all_params else ""
            table.add_row(Text(row["name"], style=style), _value(row["before"]), _value(row["after"]))
        print_table(table, console)
    else:
        console.print("parameters: " + ("none" if all_params else "identical"))
    if changes.commits[0] != changes.commits[1]:
        console.print(Text(f"commits: {changes.commits[0]} -> {changes.commits[1]}"))
    if environment is not None:
        console.print(Text(f"environment: {environment}"))
    if not changes.patch:
        console.print(Text(f"code: the two {patch} are identical (or absent)"))
        return
    console.print(Text(f"code: {patch} of {before} -> {after}"))
    sys.stdout.flush()
    if console.is_terminal and not console.no_color:
        from lab_workbook import highlight_patch

        sys.stdout.write(highlight_patch(changes.patch, colour=True))  # the console decided
    else:
        sys.stdout.write(changes.patch)


def _parent(parent: Parent | None) -> dict[str, Any] | None:
    return {"tag": parent.tag, "step": parent.step} if parent is not None else None


def _value(value: Any) -> Text:
    return Text("(absent)", style="dim") if value is None else Text(str(value))
