"""Compact HTML tables for notebooks: one experiment, or a list of them.

Rendering a list fetches each run's record and listing concurrently, and shows at
most the first and last ten rows, as pandas does for long frames.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from lab_workbook_core import concurrent_map
from lab_workbook_core.times import show_time

if TYPE_CHECKING:
    from ._experiment import Experiment

__all__ = ["experiment_html", "experiments_html"]

_EDGE = 10
_STYLE = "border-collapse:collapse;font-size:90%"


def _when(value: datetime | None) -> str:
    return show_time(value) if value else ""


def _row(cells: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag} style='text-align:left'>{escape(c)}</{tag}>" for c in cells) + "</tr>"


def _summary(exp: Experiment) -> list[str]:
    return [exp.tag, exp.status, _when(exp.started), str(len(exp.list_artifacts()))]


def experiments_html(experiments: list[Experiment]) -> str:
    """A table with one row per experiment: tag, status, started, number of artifacts."""
    shown = experiments
    if len(experiments) > 2 * _EDGE:
        shown = experiments[:_EDGE] + experiments[-_EDGE:]
    workers = shown[0].source.max_workers if shown else 1
    rows = concurrent_map(_summary, shown, workers)
    body = [_row(["tag", "status", "started", "artifacts"], "th")]
    for index, row in enumerate(rows):
        if index == _EDGE and len(shown) < len(experiments):
            body.append(_row(["…", "", "", ""]))
        body.append(_row(row))
    count = f"<p>{len(experiments)} experiment{'s' if len(experiments) != 1 else ''}</p>"
    return f"<table style='{_STYLE}'>" + "".join(body) + "</table>" + count


def experiment_html(exp: Experiment) -> str:
    """A two-column table for one experiment: tag, status, its problems if any, started, ended, its parent
    and attempts when it has them, description, artifacts."""
    names = exp.list_artifacts()
    parent, attempts = exp.parent, exp.attempts
    fields = [
        ("tag", exp.tag),
        ("status", exp.status),
        ("started", _when(exp.started)),
        ("ended", _when(exp.ended)),
        *([("parent", parent.tag + (f" at step {parent.step}" if parent.step is not None else ""))] if parent else []),
        *(
            [("attempts", ", ".join(f"{a.attempt}: {a.status} on {a.host}" for a in attempts))]
            if len(attempts) > 1
            else []
        ),
        ("description", exp.description or ""),
        ("artifacts", ", ".join(names) if names else "(none)"),
    ]
    fields[2:2] = [("problem", problem) for problem in exp.problems]  # under the status: why it is unreadable
    body = "".join(
        f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>{escape(v)}</td></tr>"
        for k, v in fields
    )
    return f"<table style='{_STYLE}'>{body}</table>"
