"""``lab-workbook sync``: send what writers left in the local spool (the writer does the work).

A training run whose store was unreachable at exit leaves its data in the spool
and says to run this command. Sending is the writer's
:func:`lab_workbook_writer.sync`: idempotent puts in the original order, skipping
spools a live writer still holds, so running it twice (or while a run is going) is
safe. This command shows what is pending, a progress bar on a terminal, and the
outcome; it exits 1 when something failed to send (it stays in the spool). Uploads
of runs still going are left to their writers and are not an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..options import JsonOption, PrefixOption
from ..output import byte_progress, human_size, print_json, warn

if TYPE_CHECKING:
    from lab_workbook_writer import PendingUpload

__all__ = ["sync"]


def sync(
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="Only list what is waiting; send nothing.")] = False,
    spool: Annotated[
        Path | None,
        typer.Option(
            "--spool", metavar="DIR", show_default=False, help="Spool folder (default: $LAB_WORKBOOK_SPOOL_DIR)."
        ),
    ] = None,
    prefix: PrefixOption = None,
    json: JsonOption = False,
) -> None:
    """Send what training runs left in the local spool; safe to run twice."""
    import lab_workbook_writer as writer

    pending = writer.pending_uploads(spool, prefix=prefix)
    total = sum(p.size for p in pending)
    if dry_run or not pending:
        _report_pending(pending, total, json)
        return
    with byte_progress("sending", total) as advance:
        report = writer.sync(spool, prefix=prefix, progress=advance)
    outcome = {
        "sent": report.sent,
        "bytes_sent": report.bytes_sent,
        "failed": list(report.failed),
        "remaining": report.remaining,
    }
    if json:
        print_json(outcome)
    else:
        typer.echo(f"sent {report.sent} upload(s), {human_size(report.bytes_sent)}; {report.remaining} remaining")
    for message in report.failed:
        warn(f"not sent: {message}")
    if report.failed:
        typer.echo(
            "error: some uploads failed and stay in the spool; check `lab-workbook doctor`, then sync again", err=True
        )
        raise typer.Exit(1)
    if report.remaining:
        typer.echo("the remaining uploads belong to runs still going: their writers send them", err=True)


def _report_pending(pending: list[PendingUpload], total: int, json: bool) -> None:
    rows: list[dict[str, str | int]] = [
        {"tag": p.tag, "prefix": p.prefix, "key": p.key, "size": p.size} for p in pending
    ]
    if json:
        print_json({"pending": rows, "bytes": total})
        return
    if not rows:
        typer.echo("nothing to send: the spool is empty", err=True)
        return
    for p in pending:
        typer.echo(f"{p.prefix}{p.key}\t{human_size(p.size)}")
    typer.echo(f"{len(rows)} upload(s) waiting, {human_size(total)}", err=True)
