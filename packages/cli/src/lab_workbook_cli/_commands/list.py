"""``lab-workbook list``: the runs, newest first, as a table (or JSON).

The rows come from the reader's pipeline of run rows
(:meth:`~lab_workbook.ExperimentRepository.run_rows`), the one the runs table uses too: runs
are visited newest first, a chunk at a time and concurrently, until ``--limit`` of them pass
the filters. Chunks double in size (32, 64, 128...), so that ``--limit 0`` over 10,000 runs
makes nine thread pools, not 313. A finished run's row never changes: it is kept in the disk
cache (:meth:`~lab_workbook.ExperimentRepository.finished_rows`), so a later ``list``, in any
process, reads it from one local file with neither a request nor a thread. Runs are in tag
order, the reader's order: generated tags sort by start time to the millisecond. A generated
tag encodes its start minute, so ``--since`` skips older runs without any request. Over a store with
a runs index (``docs/format.md``), the rows of the finished runs it holds are made straight from the
index's records (:func:`~lab_workbook_cli._summary.indexed_summary`), as ``wb.runs()`` makes its rows:
no request and no experiment per run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from lab_workbook_core.record import (
    CRASHED,
    FAILED,
    FINISHED,
    INTERRUPTED,
    RUNNING,
    STATUSES,
    UNREADABLE,
    parse_time,
)
from rich.text import Text
import typer

from ..__about__ import __version__
from .._options import JsonOption, PrefixOption
from .._output import human_duration, make_table, print_json_records, print_table, short_time, stdout_console
from .._store import open_repository
from .._summary import indexed_summary, run_summary

__all__ = ["list_runs"]

#: The finished runs' rows kept on disk: the name changes with the code that makes them.
_ROWS = f"lab-workbook list {__version__} 2"  # 2: with attempts and parent
_STYLES = {
    RUNNING: "cyan",
    FINISHED: "green",
    FAILED: "red",
    CRASHED: "red",
    INTERRUPTED: "yellow",
    UNREADABLE: "red",
}


def list_runs(
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="Show at most N runs; 0 for all.")] = 20,
    since: Annotated[
        datetime | None,
        typer.Option(
            "--since",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
            show_default=False,
            help="Only runs started at or after this UTC date/time (2024-05-01 or 2024-05-01T13:00).",
        ),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", "-s", show_default=False, help=f"Only runs with this status: {', '.join(STATUSES)}."),
    ] = None,
    prefix: PrefixOption = None,
    json: JsonOption = False,
) -> None:
    """List runs, newest first: tag, started, status, duration, attempts (when a run was resumed), description,
    artifacts."""
    if status is not None and status not in STATUSES:
        raise typer.BadParameter(f"{status!r} is not one of {', '.join(STATUSES)}", param_hint="--status")
    wb = open_repository(prefix)
    # a naive --since is UTC; indexed runs' rows come straight from the runs index's records
    chunks = wb.run_rows(_ROWS, run_summary, since=since, status=status, indexed=indexed_summary)
    rows: list[dict[str, Any]] = []
    for chunk in chunks:  # newest first; finished runs' rows on disk: no request
        rows += chunk
        if limit and len(rows) >= limit:
            break
    more = limit and (len(rows) > limit or bool(chunks.remaining))
    rows = rows[:limit] if limit else rows
    if json:
        print_json_records(rows)
    else:
        _print(rows, str(wb.storage.location))
    if more:
        typer.echo(f"(showing the newest {limit}; --limit 0 shows all)", err=True)


def _print(rows: list[dict[str, Any]], where: str) -> None:
    if not rows:
        typer.echo(f"no experiments in {where}", err=True)
        return
    console = stdout_console()
    resumed = any(row.get("attempts", 1) > 1 for row in rows)  # the column only when it tells something
    columns = ["tag", "started (UTC)", "status", "duration", *(["attempts"] if resumed else []), "description"]
    table = make_table(*columns, "artifacts")
    table.columns[0].no_wrap = True
    if console.is_terminal:  # the status whole (a narrow terminal wraps the description, or a problem)
        table.columns[2].no_wrap = True
        table.columns[2].min_width = max(map(len, STATUSES))
    table.columns[-1].justify = "right"
    for row in rows:
        started = parse_time(row["started"])
        status = row["status"]
        table.add_row(
            Text(row["tag"]),
            short_time(started),
            Text(status, style=_STYLES.get(status, "")),
            human_duration(row["duration_seconds"]),
            *([str(row.get("attempts", 1))] if resumed else []),
            Text(row["description"] or "") if not row.get("problem") else Text(row["problem"], style="red"),
            str(row["artifacts"]),
        )
    print_table(table, console)
