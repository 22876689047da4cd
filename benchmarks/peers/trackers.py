"""The same logging loop and the same read-back, written once per tracker.

Each tracker has ``start(root, ctx) -> (log, close, info)``: ``log(step, loss, accuracy,
grad_norm)`` records one step the way that library's users do, ``close()`` ends the run (and
waits for whatever the library still has to write), ``info`` is what the reader needs to find
the run again (a run id, a tag). ``load(root, info)`` is the library's own public way to get the
full history of ``loss`` into pandas, in a fresh process; it returns the DataFrame, one row per
step it found. Libraries are imported inside these functions, so that a child process imports
only the one it measures, and the harness runs where only lab-workbook is installed.
"""

from __future__ import annotations

from collections.abc import Callable
import csv
import json
import os
from pathlib import Path
import subprocess
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the write child never imports pandas: its peak memory is the tracker's
    import pandas as pd

Log = Callable[[int, float, float, float], None]
Start = Callable[[Path, dict[str, Any]], tuple[Log, Callable[[], None], dict[str, Any]]]
Load = Callable[[Path, dict[str, Any]], "pd.DataFrame"]

__all__ = ["TRACKERS", "Tracker"]


class Tracker:
    """A library under test: how to start, log, close and load, and what it needs installed."""

    def __init__(self, name: str, start: Start, load: Load | None, needs: str | None, load_note: str = "") -> None:
        self.name, self.start, self.load, self.needs, self.load_note = name, start, load, needs, load_note


def _dict_logger(log_dict: Callable[..., object]) -> Log:
    """The loop's ``log(i, loss, acc, gn)`` for a tracker that logs a dict of metrics with ``step=``."""

    def log(i: int, loss: float, acc: float, gn: float) -> None:
        log_dict({"loss": loss, "accuracy": acc, "grad_norm": gn}, step=i)

    return log


def _tool_output(tool: str, *args: str) -> str:
    """The stdout of a tracker's command-line tool, the one installed beside this interpreter."""
    command = Path(sys.executable).with_name(tool)
    return subprocess.run(
        [str(command), *args], check=True, capture_output=True, text=True, errors="replace", env=os.environ.copy()
    ).stdout


# --- baselines -------------------------------------------------------------------------------


def _csv_start(root: Path, ctx: dict[str, Any]):
    out = open(root / "metrics.csv", "w", newline="")  # noqa: SIM115  (closed by close(), as a run is)
    writer = csv.writer(out)
    writer.writerow(["step", "loss", "accuracy", "grad_norm"])
    row = writer.writerow
    return (lambda i, loss, acc, gn: row((i, loss, acc, gn))), out.close, {}


def _csv_load(root: Path, info: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(root / "metrics.csv", usecols=["step", "loss"])


def _list_start(root: Path, ctx: dict[str, Any]):
    rows: list[tuple[int, float, float, float]] = []
    append = rows.append
    return (lambda i, loss, acc, gn: append((i, loss, acc, gn))), (lambda: None), {}


# --- lab-workbook ----------------------------------------------------------------------------


def _lab_workbook_start(root: Path, ctx: dict[str, Any]):
    from lab_workbook_writer import new_experiment

    wb = new_experiment(ctx["prefix"], description="peers benchmark", close_timeout=600)
    sent = {"bytes": 0, "requests": 0}
    client = getattr(wb.storage, "client", None)  # S3 only: count what is sent
    if client is not None:

        def on_send(request: Any, **_: Any) -> None:
            sent["bytes"] += int(request.headers.get("Content-Length", 0) or 0)
            sent["requests"] += 1

        client.meta.events.register("before-send.s3", on_send)
    log = wb.new_time_series_log("metrics", ["step", "loss", "accuracy", "grad_norm"])
    info: dict[str, Any] = {"tag": wb.tag, "prefix": ctx["prefix"], "sent": sent}

    def close() -> None:
        if not wb.close():
            raise RuntimeError("lab-workbook: close() did not get every row to the store")

    return (lambda i, loss, acc, gn: log(step=i, loss=loss, accuracy=acc, grad_norm=gn)), close, info


def _lab_workbook_load(root: Path, info: dict[str, Any]) -> pd.DataFrame:
    import lab_workbook

    frame = lab_workbook.ExperimentRepository(info["prefix"])[info["tag"]]["metrics.csv"]
    return frame[["loss"]].reset_index()


# --- MLflow ----------------------------------------------------------------------------------


def _mlflow_start(root: Path, ctx: dict[str, Any]):
    import mlflow

    mlflow.set_experiment("peers")
    run = mlflow.start_run(run_name="peers")
    log_metrics = mlflow.log_metrics

    def log(i: int, loss: float, acc: float, gn: float) -> None:
        log_metrics({"loss": loss, "accuracy": acc, "grad_norm": gn}, step=i, synchronous=False)

    return log, mlflow.end_run, {"run_id": run.info.run_id}


def _mlflow_load(root: Path, info: dict[str, Any]) -> pd.DataFrame:
    from mlflow import MlflowClient
    import pandas as pd

    history = MlflowClient().get_metric_history(info["run_id"], "loss")
    return pd.DataFrame({"step": [m.step for m in history], "loss": [m.value for m in history]})


# --- tensorboardX ----------------------------------------------------------------------------


def _tensorboardx_start(root: Path, ctx: dict[str, Any]):
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(logdir=str(root / "tb"))
    add = writer.add_scalar

    def log(i: int, loss: float, acc: float, gn: float) -> None:
        add("loss", loss, i)
        add("accuracy", acc, i)
        add("grad_norm", gn, i)

    return log, writer.close, {}


def _tensorboardx_load(root: Path, info: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd

    # tensorboardX writes only; TensorBoard's own reader. size_guidance 0 keeps every event
    # (its default keeps a reservoir sample of 10,000 scalars per tag).
    from tensorboard.backend.event_processing.event_accumulator import SCALARS, EventAccumulator

    accumulator = EventAccumulator(str(root / "tb"), size_guidance={SCALARS: 0})
    accumulator.Reload()
    events = accumulator.Scalars("loss")
    return pd.DataFrame({"step": [e.step for e in events], "loss": [e.value for e in events]})


# --- W&B -------------------------------------------------------------------------------------


def _wandb_start(root: Path, ctx: dict[str, Any]):
    import wandb

    run = wandb.init(project="peers", mode="offline", dir=str(root))
    return _dict_logger(run.log), run.finish, {"run_id": run.id}


# --- Aim -------------------------------------------------------------------------------------


def _aim_start(root: Path, ctx: dict[str, Any]):
    from aim import Run

    run = Run(repo=str(root / "aim"), experiment="peers")
    return _dict_logger(run.track), run.close, {"run_hash": run.hash}


def _aim_load(root: Path, info: dict[str, Any]) -> pd.DataFrame:
    # Aim's SDK reads runs through the repository's index, which only `aim up` (the UI) or
    # `aim storage reindex` brings up to date: without it a finished run is not found.
    _tool_output("aim", "storage", "--repo", str(root / "aim"), "reindex", "-y")
    from aim import Repo
    from aim.storage.context import Context

    run = Repo(str(root / "aim")).get_run(info["run_hash"])
    return run.get_metric("loss", Context({})).dataframe()[["step", "value"]]


# --- trackio ---------------------------------------------------------------------------------


def _trackio_start(root: Path, ctx: dict[str, Any]):
    import trackio

    run = trackio.init(project="peers", name="peers")
    return _dict_logger(trackio.log), trackio.finish, {"run": run.name}


def _trackio_load(root: Path, info: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd

    # trackio's Python Api lists runs but reads no metric; its command line does.
    output = _tool_output(
        "trackio", "get", "metric", "--project", "peers", "--run", info["run"], "--metric", "loss", "--json"
    )
    document = json.loads(output)
    return pd.DataFrame(document["values"])[["step", "value"]]


TRACKERS: dict[str, Tracker] = {
    tracker.name: tracker
    for tracker in [
        Tracker("csv.writer", _csv_start, _csv_load, None),
        Tracker("list.append", _list_start, None, None, "in memory only: nothing to load"),
        Tracker("lab-workbook local", _lab_workbook_start, _lab_workbook_load, "lab_workbook_writer"),
        Tracker("lab-workbook S3", _lab_workbook_start, _lab_workbook_load, "lab_workbook_writer"),
        Tracker("MLflow", _mlflow_start, _mlflow_load, "mlflow"),
        Tracker("tensorboardX", _tensorboardx_start, _tensorboardx_load, "tensorboardX"),
        Tracker(
            "W&B offline",
            _wandb_start,
            None,
            "wandb",
            "no public reader of an offline run: only `wandb sync` to a W&B server",
        ),
        Tracker("Aim", _aim_start, _aim_load, "aim", "after `aim storage reindex`"),
        Tracker("trackio", _trackio_start, _trackio_load, "trackio"),
    ]
}
