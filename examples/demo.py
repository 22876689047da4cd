"""The lab-workbook demo: record two small torch training runs, then read them back.

Run it with ``hatch run demo`` (or ``python examples/demo.py [--prefix PREFIX]``). It
trains the model in ``examples/train.py`` twice, with two learning rates, each run
recorded by the writer in its own process, exactly as a training script on a GPU box
would be; then it loads both runs with the reader, as a notebook on a laptop would.

With no configuration, runs go to the built-in local store (see the README).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import re
import subprocess
import sys

import lab_workbook
import pandas as pd

TRAIN = Path(__file__).with_name("train.py")


def train(prefix: str | None, lr: float, epochs: int) -> str:
    """Run examples/train.py in a fresh interpreter and return the tag it printed."""
    command = [sys.executable, str(TRAIN), "--lr", str(lr), "--epochs", str(epochs)]
    command += ["--description", f"demo, lr={lr}"]
    if prefix:
        command += ["--prefix", prefix]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    match = re.search(r"Experiment Tag: (\S+)", result.stdout)
    if not match:
        raise SystemExit(f"examples/train.py printed no tag:\n{result.stdout}\n{result.stderr}")
    return match.group(1)


def main(argv: list[str] | None = None) -> None:
    """Train, record, read back, summarise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", help="store to use (default: the configured one)")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)

    print("== Training two runs (the writer side)")
    tags = {}
    for lr in (0.1, 0.02):
        tags[train(args.prefix, lr, args.epochs)] = f"lr={lr}"
        print(f"   recorded run {list(tags)[-1]}  ({tags[list(tags)[-1]]})")

    print("\n== Reading them back (the reader side)")
    wb = lab_workbook.ExperimentRepository(args.prefix)
    print(f"   store: {wb.config.location.url}  ({len(wb)} experiments)")
    for tag in tags:
        exp = wb[tag]
        print(f"\n{exp!r}  status={exp.status}  artifacts={exp.list_artifacts()}")
        print(f"   parameters: {exp['parameters.json']}")
        loss = exp["Training loss.csv"]
        print(f"   Training loss: {len(loss)} rows; last loss {loss['loss'].iloc[-1]:.4f}")
        state = exp["model.pt"]
        print(f"   model.pt: {len(state)} tensors ({', '.join(state)})")

    print("\n== Training loss of both runs, melded (first rows)")
    with pd.option_context("display.width", 120, "display.max_columns", 10):
        print(wb.meld_csv(tags, "Training loss.csv", "loss").head())
    print("\n== The runs table (one row per run: parameters, last and best test error)")
    table = wb.runs(params="parameters.json", series={"Testing Error.csv": "error"})
    table = table[table["tag"].isin(list(tags))]
    columns = ["tag", "status", "duration", "params.learningRate", "error.last", "error.best"]
    with pd.option_context("display.width", 160, "display.max_columns", 12):
        print(table[columns].to_string(index=False))


if __name__ == "__main__":
    main()
