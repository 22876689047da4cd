"""Train a small Lightning classifier on synthetic data, recorded by ``LabWorkbookLogger``.

One line connects lab-workbook to Lightning: ``Trainer(logger=LabWorkbookLogger(...))``.
Hyperparameters go to ``hparams.json``, ``self.log`` metrics to ``train.csv`` and ``val.csv``,
the best and last checkpoints to ``checkpoints/step-<N>.pt``; the run is closed ``finished`` when
``fit()`` returns. With ``--tag`` the script is one line away from a requeued job: run it again
after a kill and it continues the same run from Lightning's last checkpoint.

    pip install lightning
    python examples/lightning_train.py [--prefix P] [--epochs 3] [--lr 0.1] [--tag T --checkpoints DIR]
"""

from __future__ import annotations

import argparse
import tempfile

from lab_workbook_writer.lightning import LabWorkbookLogger
import lightning
import torch
from torch import nn


class Classifier(lightning.LightningModule):
    """Three Gaussian blobs in the plane, one per class; a two-layer network."""

    def __init__(self, lr: float = 0.1, hidden: int = 16) -> None:
        super().__init__()
        self.save_hyperparameters()  # -> hparams.json
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 3))

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss)  # -> train.csv
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", nn.functional.cross_entropy(logits, y))  # -> val.csv
        self.log("val_acc", (logits.argmax(dim=1) == y).float().mean())

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def blobs(samples: int, seed: int) -> torch.utils.data.DataLoader:
    generator = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    labels = torch.randint(0, 3, (samples,), generator=generator)
    points = centres[labels] + 0.9 * torch.randn(samples, 2, generator=generator)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(points, labels), batch_size=32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default=None, help="where experiments live (default: your configuration)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--tag", default=None, help="a stable tag: run again after a kill to continue the run")
    parser.add_argument("--checkpoints", default=None, help="where Lightning keeps its checkpoints (kept with --tag)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        save_dir = args.checkpoints or scratch
        resume = {"tag": args.tag, "resume": "auto"} if args.tag else {}
        logger = LabWorkbookLogger(
            args.prefix, description="lightning example", log_model=True, save_dir=save_dir, **resume
        )
        checkpoint = lightning.pytorch.callbacks.ModelCheckpoint(monitor="val_loss", save_last=True)
        trainer = lightning.Trainer(
            max_epochs=args.epochs,
            logger=logger,
            callbacks=[checkpoint],
            default_root_dir=save_dir,
            accelerator="cpu",
            devices=1,
            log_every_n_steps=1,
            enable_progress_bar=False,
        )
        trainer.fit(Classifier(lr=args.lr), blobs(256, 0), blobs(128, 1), ckpt_path="last" if args.tag else None)


if __name__ == "__main__":
    main()
