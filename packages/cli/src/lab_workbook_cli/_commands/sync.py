"""``lab-workbook sync``: send what writers left in the local spool (the writer does the work).

A training run whose store was unreachable at exit leaves its data in the spool
and says to run this command. Sending is the writer's
:func:`lab_workbook_writer.sync`: idempotent puts in the original order, skipping
spools a live writer or another sync holds, so running it twice (or while a run is
going) is safe. This command shows what is pending, a progress bar on a terminal, and the
outcome; it exits 1 when something failed to send (it stays in the spool). Uploads
of runs still going are left to their writers and are not an error.

A run *stranded* in the spool (its tag turned out to be taken in the store by another
run) is never sent under that tag: plain ``sync`` says so and names the two ways out,
which only the user can choose: ``--retag TAG`` sends it under a fresh tag (or ``--as
NEWTAG``), ``--discard TAG`` deletes it (after a confirmation, or ``--yes``). A stranded
run waiting for that choice is not a failure: the exit code stays 0.
"""

from __future__ import annotations

from pathlib import Path
import shlex
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._errors import CliError
from .._options import JsonOption, PrefixOption, unset_option
from .._output import byte_progress, human_size, print_json, warn

if TYPE_CHECKING:
    from lab_workbook_writer import PendingUpload, SpooledRun, SyncReport

__all__ = ["sync"]


def sync(
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="Only list what is waiting; send nothing.")] = False,
    spool: Annotated[
        Path | None,
        unset_option("--spool", metavar="DIR", help="Spool folder (default: $LAB_WORKBOOK_SPOOL_DIR)."),
    ] = None,
    retag: Annotated[
        str | None,
        unset_option(
            "--retag",
            metavar="TAG",
            help="Send the stranded run TAG (its tag is taken in the store) under a fresh tag, or --as NEWTAG.",
        ),
    ] = None,
    new_tag: Annotated[
        str | None,
        unset_option("--as", metavar="NEWTAG", help="With --retag: the new tag (must be free)."),
    ] = None,
    discard: Annotated[
        str | None,
        unset_option("--discard", metavar="TAG", help="Delete run TAG's spool folder: it is never sent."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --discard: do not ask for confirmation.")] = False,
    prefix: PrefixOption = None,
    json: JsonOption = False,
) -> None:
    """Send what training runs left in the local spool; safe to run twice."""
    import lab_workbook_writer as writer

    if retag is not None and discard is not None:
        raise CliError("--retag and --discard are two different choices: give one of them")
    if new_tag is not None and retag is None:
        raise CliError("--as NEWTAG names the new tag of --retag TAG: give --retag too")
    if discard is not None:
        _discard(discard, spool, prefix, yes=yes, dry_run=dry_run, json=json)
        return
    if retag is not None and not dry_run:
        with byte_progress("sending", 0) as advance:
            report = writer.retag(retag, new_tag, spool_dir=spool, prefix=prefix, progress=advance)
        _report(report, spool, json)
        return
    pending = writer.pending_uploads(spool, prefix=prefix)
    total = sum(p.size for p in pending)
    if dry_run or not pending:
        _report_pending(pending, total, json)
        return
    with byte_progress("sending", total) as advance:
        report = writer.sync(spool, prefix=prefix, progress=advance)
    _report(report, spool, json)


def _report(report: SyncReport, spool: Path | None, json: bool) -> None:
    outcome: dict[str, Any] = {
        "sent": report.sent,
        "bytes_sent": report.bytes_sent,
        "failed": list(report.failed),
        "remaining": report.remaining,
        "running": report.running,
        "syncing": report.syncing,
        "stranded": [_run_json(run) for run in report.stranded],
        "retagged": [{"tag": old, "new_tag": new} for old, new in report.retagged],
    }
    if json:
        print_json(outcome)
    else:
        for old, new in report.retagged:
            typer.echo(f"run {old} is sent as {new}")
        typer.echo(f"sent {report.sent} upload(s), {human_size(report.bytes_sent)}; {report.remaining} remaining")
    for message in report.failed:
        warn(f"not sent: {message}")
    for run in report.stranded:
        _explain(run, spool)
    if report.failed:
        typer.echo(
            "error: some uploads failed and stay in the spool; check `lab-workbook doctor`, then sync again", err=True
        )
        raise typer.Exit(1)
    if report.syncing:
        typer.echo(
            f"{report.syncing} upload(s) are being sent by another `lab-workbook sync` right now: it finishes them",
            err=True,
        )
    if report.running:
        typer.echo(f"{report.running} upload(s) belong to runs still going: their writers send them", err=True)


def _explain(run: SpooledRun, spool: Path | None) -> None:
    """A stranded run: what happened, and the two commands that deal with it."""
    command = "lab-workbook sync" + (f" --spool {shlex.quote(str(spool))}" if spool is not None else "")
    tag = shlex.quote(run.tag)
    warn(
        f"run {run.tag} is not sent: {run.reason}. Another run has that tag in {run.prefix} and stays intact; "
        f"this one waits in {run.spool} ({run.uploads} upload(s), {human_size(run.size)}). Send it under a new "
        f"tag with `{command} --retag {tag}` (add `--as NEWTAG` to choose the tag), or delete it with "
        f"`{command} --discard {tag}`"
    )


def _discard(tag: str, spool: Path | None, prefix: str | None, *, yes: bool, dry_run: bool, json: bool) -> None:
    import lab_workbook_writer as writer

    runs = writer.discard(tag, spool_dir=spool, prefix=prefix, dry_run=True)
    if not dry_run and not yes:
        for run in runs:
            typer.echo(f"{run.spool}: {run.uploads} upload(s), {human_size(run.size)} for {run.prefix}", err=True)
        if not typer.confirm(f"delete what run {tag} left in the spool? It is never sent", err=True):
            raise CliError(f"nothing deleted; the data of run {tag} stays in the spool")
    if not dry_run:
        runs = writer.discard(tag, spool_dir=spool, prefix=prefix)
    if json:
        print_json({"discarded" if not dry_run else "would_discard": [_run_json(run) for run in runs]})
        return
    verb = "would delete" if dry_run else "deleted"
    for run in runs:
        typer.echo(f"{verb} {run.spool} ({run.uploads} upload(s), {human_size(run.size)})")


def _run_json(run: SpooledRun) -> dict[str, Any]:
    return {
        "tag": run.tag,
        "prefix": run.prefix,
        "spool": str(run.spool),
        "uploads": run.uploads,
        "bytes": run.size,
        "reason": run.reason,
    }


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
