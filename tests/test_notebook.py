"""The analysis notebook runs end to end on runs the demo records, so it can never rot.

The store also holds newer runs of the Lightning logger's and the Hugging Face callback's shape,
as a user's store would: the notebook must pick its runs by what they contain, not "the newest".
"""

from __future__ import annotations

from pathlib import Path
import subprocess

import pytest
from train_example import ROOT, run_train_example

LEARNING_RATES = ["0.1", "0.03", "0.01"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Lab", "-c", "user.email=lab@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _record_runs(prefix: str, repo: Path) -> list[str]:
    """Run the demo once per learning rate from a small git repository with uncommitted changes."""
    tags = []
    for lr in LEARNING_RATES:
        (repo / "train.cfg").write_text(f"learning_rate = {lr}\nepochs = 5\n")
        tag, _ = run_train_example(
            prefix, "--lr", lr, "--epochs", "5", "--description", f"notebook test, lr={lr}", cwd=repo
        )
        tags.append(tag)
    return tags


def _record_integration_runs(prefix: str, torch) -> list[str]:
    """Runs with the artifacts ``LabWorkbookLogger`` and ``LabWorkbookCallback`` record (docs/integrations.md):
    no ``parameters.json``, no ``Training loss.csv``. Written by the writer directly: no training needed."""
    from lab_workbook_writer import new_experiment

    tags = []
    with new_experiment(prefix, description="lightning example", capture_environment=False) as wb:
        wb.save_json("hparams", {"lr": 0.1, "hidden": 16})
        train, val = wb.new_time_series_log("train"), wb.new_time_series_log("val")
        for step in range(1, 4):
            train(step=step, epoch=0, train_loss=1.0 / step)
        val(step=3, epoch=0, val_loss=0.5, val_acc=0.75)
        wb.save_torch("checkpoints/last", {"weight": torch.zeros(2)})
    tags.append(wb.tag)
    with new_experiment(prefix, description="transformers example", capture_environment=False) as wb:
        wb.save_json("training_args", {"learning_rate": 5e-5, "num_train_epochs": 1})
        wb.save_json("model_config", {"hidden_size": 8, "num_labels": 2})
        train, evaluation = wb.new_time_series_log("train"), wb.new_time_series_log("eval")
        for step in range(1, 4):
            train(step=step, epoch=step / 3, loss=1.0 / step, learning_rate=5e-5, grad_norm=0.5)
        evaluation(step=3, epoch=1.0, eval_loss=0.4, eval_accuracy=0.8)
        wb.save_torch("model", {"weight": torch.zeros(2)})
    tags.append(wb.tag)
    return tags


@pytest.mark.slow
def test_analysis_notebook_runs_end_to_end(tmp_path, monkeypatch, torch):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "train.cfg").write_text("learning_rate = 0.1\n")
    _git(repo, "add", "train.cfg")
    _git(repo, "commit", "-q", "-m", "baseline")
    prefix = str(tmp_path / "store") + "/"
    tags = _record_runs(prefix, repo)
    newer = _record_integration_runs(prefix, torch)

    monkeypatch.setenv("LAB_WORKBOOK_PREFIX", prefix)
    # Headless: the notebook backend renders with Agg and returns PNGs (no GUI is ever opened).
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(ROOT / "examples" / "analysis.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=180, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()

    outputs = "\n".join(
        str(output.get("text", ""))
        + str(output.get("data", {}).get("text/plain", ""))
        + str(output.get("data", {}).get("text/html", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert all(tag in outputs for tag in tags + newer)  # wb[:] lists every run
    picked = next(c for c in notebook.cells if c.source.startswith("trained = "))
    assert picked.outputs[0]["data"]["text/plain"] == f"<Experiment: {tags[-1]}>"  # the newest train.py run
    assert "lr=0.03" in outputs  # the meld's column labels
    assert "learning_rate = 0.01" in outputs  # the coloured patch of the last run
    plots = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert plots == 3  # the loss, its rolling mean, and the meld of three runs
