"""The small Lightning model, data, trainer and logger the Lightning tests share.

Import it after ``pytest.importorskip("lightning", ...)``: lightning and torch are installed on
Python 3.11 only (hatch.toml). The model is a module-level class so that ``ddp_spawn`` children
can unpickle it (tests/ is on ``sys.path``: pyproject's ``pythonpath``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab_workbook import ExperimentRepository
from lab_workbook_writer.lightning import LabWorkbookLogger
import lightning
import torch
from torch import nn

__all__ = ["Tiny", "quiet_trainer", "store_logger", "store_runs", "tiny_data"]


class Tiny(lightning.LightningModule):
    """A linear regression that logs ``metric`` in every stage and can fail on purpose.

    Validation logs the training metric's name too (the stage decides where a row goes); test logs ``mse``.
    """

    def __init__(self, metric: str = "loss", fail_at_step: int | None = None) -> None:
        super().__init__()
        self.metric = metric
        self.fail_at_step = fail_at_step
        self.net = nn.Linear(3, 1)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        if self.global_step == self.fail_at_step:
            raise RuntimeError("diverged")
        x, y = batch
        loss = nn.functional.mse_loss(self.net(x), y)
        self.log(self.metric, loss)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log(self.metric, nn.functional.mse_loss(self.net(x), y))

    def test_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("mse", nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.05)


def tiny_data(batch_size: int = 8) -> torch.utils.data.DataLoader:
    """16 rows whose target is the sum of the inputs, always the same (seed 0)."""
    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))
    dataset = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size)


def quiet_trainer(tmp_path: Path, logger: Any, **kwargs: Any) -> lightning.Trainer:
    """One CPU epoch, a row per step, no progress bar, summary or checkpoints unless ``kwargs`` say so."""
    options: dict[str, Any] = dict(max_epochs=1, accelerator="cpu", devices=1, log_every_n_steps=1)
    options.update(default_root_dir=tmp_path, enable_progress_bar=False, enable_model_summary=False)
    options.update(enable_checkpointing=False)
    return lightning.Trainer(logger=logger, **{**options, **kwargs})


def store_logger(tmp_path: Path, cls: type[LabWorkbookLogger] = LabWorkbookLogger, **kwargs: Any) -> Any:
    """A logger writing to ``tmp_path/store`` with its spool and ``save_dir`` under ``tmp_path``."""
    return cls(str(tmp_path / "store"), save_dir=tmp_path, spool_dir=tmp_path / "spool", **kwargs)


def store_runs(tmp_path: Path) -> ExperimentRepository:
    """The reader of the store :func:`store_logger` writes."""
    return ExperimentRepository(str(tmp_path / "store"))
