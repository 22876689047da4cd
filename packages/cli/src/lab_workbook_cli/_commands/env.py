"""``lab-workbook env``: the interpreter and packages a run used, or what changed between two runs.

The environment is the run's ``Environment.txt``, parsed by the reader
(:meth:`lab_workbook.Experiment.environment`); ``--diff OTHER`` lists the packages
added, removed, upgraded, downgraded or changed (same version, another source or
commit), and the facts (Python, torch, CUDA, GPUs) that differ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from rich.text import Text
import typer

from .._options import JsonOption, PrefixOption, TagArgument
from .._output import make_table, print_json, print_table, stdout_console
from .._store import find_experiment, open_repository

if TYPE_CHECKING:
    from lab_workbook import Environment, EnvironmentDiff, Package

__all__ = ["env", "package_json"]


def env(
    tag: TagArgument,
    other: Annotated[
        str | None,
        typer.Option("--diff", metavar="OTHER", help="Compare with another run: packages added, removed, upgraded."),
    ] = None,
    prefix: PrefixOption = None,
    json: JsonOption = False,
) -> None:
    """Show the environment a run used (Environment.txt), or what changed from it to another run."""
    wb = open_repository(prefix)
    exp = find_experiment(wb, tag)
    environment = exp.environment()
    if other is None:
        _show(exp.tag, environment, json)
        return
    later = find_experiment(wb, other)
    _show_diff(exp.tag, later.tag, environment.diff(later.environment()), json)


def package_json(package: Package | None) -> dict[str, Any] | None:
    """A package as the ``--json`` output spells it."""
    if package is None:
        return None
    return {
        "name": package.name,
        "version": package.version,
        "kind": package.kind,
        "source": package.source,
        "commit": package.commit,
    }


def _origin(package: Package) -> Text:
    if package.kind == "index":
        return Text("")
    commit = f" @ {package.commit[:12]}" if package.commit else ""
    return Text(f"{package.kind}: {package.source or ''}{commit}")


def _show(tag: str, environment: Environment, json: bool) -> None:
    if json:
        print_json(
            {
                "tag": tag,
                "facts": dict(environment.facts),
                "packages": [package_json(p) for p in environment.packages.values()],
            }
        )
        return
    console = stdout_console()
    facts = make_table("fact", "value", title=f"environment of {tag}")
    facts.show_header = False
    for key, value in environment.facts.items():
        facts.add_row(key, Text(value))
    print_table(facts, console)
    table = make_table("package", "version", "from", title=f"{len(environment.packages)} packages")
    for package in environment.packages.values():
        table.add_row(Text(package.name), Text(package.version), _origin(package))
    print_table(table, console)


#: One changed package: what happened, the package before (``None`` if added), after (``None`` if removed).
_Row = tuple[str, "Package | None", "Package | None"]


def _name(row: _Row) -> str:
    package = row[1] or row[2]
    return package.name if package is not None else ""


def _show_diff(before: str, after: str, diff: EnvironmentDiff, json: bool) -> None:
    rows: list[_Row] = [("added", None, p) for p in diff.added] + [("removed", p, None) for p in diff.removed]
    rows += [(diff.change_kind(b, a), b, a) for b, a in diff.changed]
    rows.sort(key=lambda row: _name(row).lower())
    if json:
        print_json(
            {
                "before": before,
                "after": after,
                "packages": [
                    {
                        "change": row[0],
                        "name": _name(row),
                        "before": package_json(row[1]),
                        "after": package_json(row[2]),
                    }
                    for row in rows
                ],
                "facts": {key: {"before": old, "after": new} for key, (old, new) in diff.facts.items()},
            }
        )
        return
    console = stdout_console()
    if not diff:
        console.print(Text(f"environments of {before} and {after} are identical"))
        return
    if diff.facts:
        facts = make_table("fact", before, after, title="facts that differ")
        for key, (old, new) in diff.facts.items():
            facts.add_row(key, Text(old or "(absent)"), Text(new or "(absent)"))
        print_table(facts, console)
    if rows:
        table = make_table("change", "package", before, after, title="packages that differ")
        for row in rows:
            table.add_row(row[0], Text(_name(row)), _version(row[1]), _version(row[2]))
        print_table(table, console)


def _version(package: Package | None) -> Text:
    if package is None:
        return Text("-", style="dim")
    commit = f" @ {package.commit[:12]}" if package.commit else ""
    return Text(package.version + commit)
