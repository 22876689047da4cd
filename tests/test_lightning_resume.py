"""A Lightning fit SIGKILLed mid-epoch and started again with ``resume="auto"`` and ``ckpt_path="last"`` is one run.

Each attempt is a real child process running a training script, as a requeued job would; the
first is killed by this test with SIGKILL while it waits inside a training step (mid-epoch),
the second continues from Lightning's last checkpoint.
"""

from __future__ import annotations

import os
from pathlib import Path
import signal
import subprocess
import sys
import time

from lab_workbook import ExperimentRepository
import pytest

pytest.importorskip("lightning", reason="lightning needs torch, installed on Python 3.11 only (hatch.toml)")

TRAIN = """
import os, sys, time
from pathlib import Path
import lightning, torch
from torch import nn
from lab_workbook_writer.lightning import LabWorkbookLogger

prefix, tag, work, hold_at = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])


class Tiny(lightning.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(3, 1)

    def training_step(self, batch, batch_idx):
        if self.global_step == hold_at:  # mid-epoch: tell the test, then wait to be killed
            (work / "holding").write_text(str(self.global_step))
            time.sleep(120)
        x, y = batch
        loss = nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.05)


g = torch.Generator().manual_seed(0)
x = torch.randn(32, 3, generator=g)
data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=8)
logger = LabWorkbookLogger(prefix, tag=tag, resume="auto", log_model="all", save_dir=work, spool_dir=work / "spool")
checkpoint = lightning.pytorch.callbacks.ModelCheckpoint(every_n_train_steps=1, save_last=True, save_top_k=0)
trainer = lightning.Trainer(
    max_epochs=2, logger=logger, callbacks=[checkpoint], accelerator="cpu", devices=1, default_root_dir=work,
    log_every_n_steps=1, enable_progress_bar=False, enable_model_summary=False,
)
trainer.fit(Tiny(), data, ckpt_path="last")
print("attempt", logger.experiment.attempt, "closed", logger.experiment.closed)
"""


def _fit(script: Path, prefix: str, work: Path, hold_at: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), prefix, "job-lightning-7", str(work), str(hold_at)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


@pytest.mark.slow
def test_a_fit_killed_mid_epoch_and_resumed_from_the_last_checkpoint_is_one_run_with_every_step_once(
    local_prefix, tmp_path
):  # the local store only: on the S3 endpoint it passes too, in 2.5 minutes (two Lightning start-ups on moto)
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    first = _fit(script, local_prefix, tmp_path, hold_at=6)  # epoch 1 of 2, its third step of 4
    deadline = time.monotonic() + 240
    while not (tmp_path / "holding").exists():
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first attempt never reached step 6"
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL

    second = _fit(script, local_prefix, tmp_path, hold_at=-1)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert "attempt 2 closed True" in out  # the run continued, and the successful fit ended it

    experiment = ExperimentRepository(local_prefix)["job-lightning-7"]
    assert experiment.status == "finished"
    assert [attempt.status for attempt in experiment.attempts] == ["crashed", "finished"]
    train = experiment["train.csv"]
    assert list(train.index) == list(range(8))  # 2 epochs of 4 steps, each step once
    assert train["epoch"].tolist() == [0] * 4 + [1] * 4
    every = experiment.load("train.csv", attempts="all")
    assert sorted(every[every["Attempt"] == 1].index) == list(range(6))  # rows up to the kill, none lost
    assert sorted(every[every["Attempt"] == 2].index) == [6, 7]
    # log_model="all": a checkpoint per step, in the step layout, from both attempts
    assert sorted(experiment.checkpoints("checkpoints").step) == list(range(1, 9))
