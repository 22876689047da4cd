"""Train a small classifier on synthetic data and record the run with lab-workbook.

Uses every call of the writer: a new experiment with a description, the git
state, the parameters as JSON, two time series, the model after each epoch, a
local file, an explicit flush, and the ``with`` block that closes the run.

    python examples/train.py [--prefix P] [--lr 0.1] [--epochs 3] [--description TEXT] [--seed N]

It prints ``Experiment Tag: <tag>``; read the run back with
``lab_workbook.ExperimentRepository()[tag]`` or ``lab-workbook show <tag>``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import tempfile

from lab_workbook_writer import new_experiment
import torch
from torch import nn

CLASSES, FEATURES = 3, 2


def make_data(samples: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Three Gaussian blobs in the plane, one per class."""
    centres = torch.tensor([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    labels = torch.randint(0, CLASSES, (samples,), generator=generator)
    points = centres[labels] + 0.9 * torch.randn(samples, FEATURES, generator=generator)
    return points, labels


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default=None, help="where to store the run (default: the configured store)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--description", default="demo: MLP on three Gaussian blobs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    generator = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)
    train_x, train_y = make_data(2048, generator)
    test_x, test_y = make_data(512, generator)
    params = {
        "learningRate": args.lr,
        "momentum": 0.9,
        "nesterov": True,
        "epochs": args.epochs,
        "batchSize": 64,
        "hidden": 32,
        "seed": args.seed,
        "trainSamples": len(train_x),
    }
    model = nn.Sequential(nn.Linear(FEATURES, params["hidden"]), nn.ReLU(), nn.Linear(params["hidden"], CLASSES))
    optimiser = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True)
    loss_fn = nn.CrossEntropyLoss()

    with new_experiment(args.prefix, description=args.description) as wb:
        wb.save_git_status()
        wb.save_json("parameters", params)
        loss_log = wb.new_time_series_log("Training loss", ["epoch", "loss", "gradientNorm"], save_every=10)
        error_log = wb.new_time_series_log("Testing Error", ["epoch", "error"])
        batches = len(train_x) // params["batchSize"]
        for epoch in range(args.epochs):
            order = torch.randperm(len(train_x), generator=generator)
            for batch in range(batches):
                index = order[batch * params["batchSize"] : (batch + 1) * params["batchSize"]]
                optimiser.zero_grad()
                loss = loss_fn(model(train_x[index]), train_y[index])
                loss.backward()
                norm = torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf"))
                optimiser.step()
                loss_log(epoch=epoch + (batch + 1) / batches, loss=loss, gradientNorm=norm)
            with torch.no_grad():
                predicted = model(test_x).argmax(dim=1)
            error_log(epoch=epoch + 1, error=(predicted != test_y).float().mean())
            wb.save_torch("model", model.state_dict())  # replaced every epoch; only the last one stays
            wb.flush()
        confusion = torch.zeros(CLASSES, CLASSES, dtype=torch.int64)
        for truth, guess in zip(test_y.tolist(), predicted.tolist(), strict=True):
            confusion[truth, guess] += 1
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "confusion.txt"
            path.write_text("rows: true class, columns: predicted class\n" + str(confusion.tolist()) + "\n")
            wb.save_file(path)
    return wb.tag


if __name__ == "__main__":
    main()
