"""``lab-workbook plot``: one field of a series from several runs, one curve per run, as a PNG.

The data is the reader's :meth:`~lab_workbook.ExperimentRepository.meld_csv`, as
in the original README's meld plot. Drawing uses matplotlib's Agg canvas directly
(no pyplot, no display needed), so it works on a headless box, and the image is
exactly ``--width`` x ``--height`` pixels.
"""

from __future__ import annotations

from pathlib import Path
import re
from typing import TYPE_CHECKING, Annotated, Any

from lab_workbook_core import ArtifactNotFound
import typer

from .._errors import CliError
from .._options import JsonOption, PrefixOption
from .._output import print_json
from .._store import find_experiment, open_repository

if TYPE_CHECKING:
    from lab_workbook import Experiment
    import pandas as pd

__all__ = ["DPI", "plot"]

DPI = 100


def plot(
    tags: Annotated[
        list[str],
        typer.Argument(metavar="TAG", help="Runs to plot (tags, prefixes, latest, -2...).", show_default=False),
    ],
    artifact: Annotated[
        str, typer.Option("--artifact", "-a", help="The series, e.g. 'Training loss' or 'Training loss.csv'.")
    ],
    field: Annotated[str, typer.Option("--field", "-f", help="The column to plot, e.g. loss.")],
    smooth: Annotated[int, typer.Option("--smooth", min=1, help="Rolling mean over N points (1: raw).")] = 1,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", show_default=False, help="PNG to write (default: <series>-<field>.png)."),
    ] = None,
    label_by: Annotated[
        list[str] | None,
        typer.Option(
            "--label-by",
            metavar="PARAM",
            show_default=False,
            help="Label curves with these parameters (from parameters.json), e.g. learningRate; repeatable.",
        ),
    ] = None,
    width: Annotated[int, typer.Option("--width", min=100, max=10000, help="Image width in pixels.")] = 1000,
    height: Annotated[int, typer.Option("--height", min=100, max=10000, help="Image height in pixels.")] = 600,
    logy: Annotated[bool, typer.Option("--logy", help="Logarithmic y axis.")] = False,
    prefix: PrefixOption = None,
    json: JsonOption = False,
) -> None:
    """Plot a series field of several runs into one PNG, one curve per run."""
    series = artifact if artifact.lower().endswith(".csv") else f"{artifact}.csv"
    wb = open_repository(prefix)
    experiments = list({e.tag: e for e in (find_experiment(wb, t) for t in tags)}.values())
    labels = {e.tag: _label(e, label_by or []) for e in experiments}
    melded = wb.meld_csv(labels, series, field)
    target = output or Path(f"{_slug(series.removesuffix('.csv'))}-{_slug(field)}.png")
    points = _draw(melded, target, series=series, field=field, smooth=smooth, size=(width, height), logy=logy)
    if json:
        print_json(
            {
                "path": str(target),
                "width": width,
                "height": height,
                "artifact": series,
                "field": field,
                "smooth": smooth,
                "runs": [{"tag": tag, "label": labels[tag], "points": points[labels[tag]]} for tag in labels],
            }
        )
    else:
        typer.echo(str(target))


def _label(exp: Experiment, params: list[str]) -> str:
    """``lr=0.1, momentum=0.9`` from the run's parameters; the tag when none is asked."""
    if not params:
        return exp.tag
    try:
        values = exp.load("parameters.json")
    except ArtifactNotFound:
        values = {}
    parts = []
    for name in params:
        value: Any = values
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        parts.append(f"{name}={value}")
    return ", ".join(parts) + f" ({exp.tag[-10:]})"


def _draw(
    melded: pd.DataFrame, target: Path, *, series: str, field: str, smooth: int, size: tuple[int, int], logy: bool
) -> dict[str, int]:
    """Draw and save; returns how many points each curve has."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise CliError(
            "`lab-workbook plot` needs matplotlib, an optional extra: pip install 'lab-workbook-cli[plot]'"
        ) from err

    figure = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    points = {}
    for label in melded.columns:
        curve = melded[label].dropna()
        if smooth > 1:
            curve = curve.rolling(smooth, min_periods=1).mean()
        axes.plot(curve.index, curve.to_numpy(), label=str(label), linewidth=1.2)
        points[str(label)] = len(curve)
    axes.set_xlabel(str(melded.index.name or "step"))
    axes.set_ylabel(field + (f" (rolling mean of {smooth})" if smooth > 1 else ""))
    axes.set_title(series.removesuffix(".csv"))
    if logy:
        axes.set_yscale("log")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=DPI, format="png")
    return points


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-").lower() or "plot"
