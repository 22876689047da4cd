"""What Lightning and its users ask of a logger beyond metrics (issue 27): pickling, ddp_spawn, subclasses,
``log_dir``, hyperparameters of every shape, pictures and tables, the metric-key prefix."""

from __future__ import annotations

from argparse import Namespace
import copy
import dataclasses
import pickle

from lab_workbook_writer.lightning import LabWorkbookLogger
import pytest

lightning = pytest.importorskip("lightning", reason="lightning needs torch, installed on Python 3.11 only (hatch.toml)")
from lightning_parts import Tiny, quiet_trainer, store_logger, store_runs, tiny_data  # noqa: E402
import torch  # noqa: E402

# -- pickling ------------------------------------------------------------------------------


def test_a_used_logger_pickles_and_its_copy_in_the_same_process_writes_the_same_run(tmp_path):
    logger = store_logger(tmp_path, keep_open=True)
    logger.log_hyperparams({"lr": 0.1})
    logger.log_metrics({"train_loss": 1.0}, step=0)
    copied = pickle.loads(pickle.dumps(logger))
    copied.log_metrics({"train_loss": 0.5}, step=1)
    assert copied.version == logger.version and copied.experiment is logger.experiment
    logger.close()
    assert list(store_runs(tmp_path)[logger.version]["train.csv"]["train_loss"]) == [1.0, 0.5]


def test_a_used_logger_deep_copies_keeping_its_class_and_tag(tmp_path):
    logger = store_logger(tmp_path)
    logger.log_metrics({"train_loss": 1.0}, step=0)
    copied = copy.deepcopy(logger)
    assert type(copied) is type(logger) and copied.version == logger.version
    logger.close()


def test_a_subclass_pickles_as_itself(tmp_path):
    logger = _Subclassed(str(tmp_path / "store"), save_dir=tmp_path, spool_dir=tmp_path / "spool")
    logger.log_metrics({"train_loss": 1.0}, step=0)
    copied = pickle.loads(pickle.dumps(logger))
    assert isinstance(copied, _Subclassed) and isinstance(copied, lightning.pytorch.loggers.Logger)
    assert copied.seen == [{"train_loss": 1.0}]
    logger.close()


class _Subclassed(LabWorkbookLogger):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[dict] = []

    def log_metrics(self, metrics, step=None) -> None:
        super().log_metrics(metrics, step)
        self.seen.append(dict(metrics))


def test_a_subclass_is_a_lightning_logger_and_fits(tmp_path):
    logger = _Subclassed(str(tmp_path / "store"), save_dir=tmp_path, spool_dir=tmp_path / "spool")
    assert isinstance(logger, lightning.pytorch.loggers.Logger) and isinstance(logger, LabWorkbookLogger)
    quiet_trainer(tmp_path, logger).fit(Tiny("train_loss"), tiny_data(4))
    assert len(logger.seen) == 4
    assert len(store_runs(tmp_path)[logger.version]["train.csv"]) == 4


# -- ddp_spawn -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_ddp_spawn_fit_on_two_processes_records_one_run_named_by_the_main_process_version(tmp_path, spawnable):
    logger = store_logger(tmp_path)
    quiet_trainer(tmp_path, logger, strategy="ddp_spawn", devices=2).fit(Tiny("train_loss"), tiny_data(4))
    runs = store_runs(tmp_path)
    assert runs.tags() == [logger.version]
    run = runs[logger.version]
    assert run.status == "finished" and len(run["train.csv"]) == 2  # 16 rows, 2 processes, batches of 4


@pytest.mark.slow
def test_a_run_opened_before_a_ddp_spawn_fit_is_continued_by_the_spawned_rank_zero(tmp_path, spawnable):
    logger = store_logger(tmp_path)
    logger.log_hyperparams({"lr": 0.05})  # the main process opens the run
    quiet_trainer(tmp_path, logger, strategy="ddp_spawn", devices=2).fit(Tiny("train_loss"), tiny_data(4))
    runs = store_runs(tmp_path)
    assert runs.tags() == [logger.version]
    run = runs[logger.version]
    assert [a.status for a in run.attempts] == ["interrupted", "finished"]  # handed over, then the fit
    assert run["hparams.json"] == {"lr": 0.05} and len(run["train.csv"]) == 2


# -- what Lightning and LightningCLI read ---------------------------------------------------


def test_trainer_log_dir_is_the_loggers_save_dir_and_checkpoints_go_under_it(tmp_path):
    logger = store_logger(tmp_path)
    trainer = quiet_trainer(tmp_path / "elsewhere", logger, enable_checkpointing=True)
    assert trainer.log_dir == str(tmp_path)
    trainer.fit(Tiny("train_loss"), tiny_data(4))
    assert list((tmp_path / "lab-workbook" / logger.version / "checkpoints").glob("*.ckpt"))
    assert logger.log_dir == str(tmp_path / "lab-workbook" / logger.version)


# -- hyperparameters -----------------------------------------------------------------------


def test_log_hyperparams_keeps_the_metrics_given_with_them(tmp_path):
    logger = store_logger(tmp_path)
    logger.log_hyperparams({"lr": 0.1}, {"hp_metric": 0.7}, step=3)
    logger.close()
    run = store_runs(tmp_path)[logger.version]
    assert run["hparams.json"] == {"lr": 0.1}
    assert run["train.csv"].loc[3, "hp_metric"] == pytest.approx(0.7)


@dataclasses.dataclass
class _Optimiser:
    name: str = "sgd"
    betas: tuple = (0.9, 0.99)


def test_namespaces_dataclasses_and_omegaconf_are_stored_as_nested_objects(tmp_path):
    omegaconf = pytest.importorskip("omegaconf")
    config = omegaconf.OmegaConf.create({"width": 8, "layers": [8, "${width}"], "data": {"root": "/d"}})
    logger = store_logger(tmp_path)
    logger.log_hyperparams(Namespace(model=Namespace(depth=3), optimiser=_Optimiser(), config=config))
    logger.close()
    assert store_runs(tmp_path)[logger.version]["hparams.json"] == {
        "model": {"depth": 3},
        "optimiser": {"name": "sgd", "betas": [0.9, 0.99]},
        "config": {"width": 8, "layers": [8, 8], "data": {"root": "/d"}},
    }


# -- pictures, text, tables ----------------------------------------------------------------


def test_log_image_stores_each_picture_by_step_with_captions(tmp_path):
    pytest.importorskip("PIL")
    logger = store_logger(tmp_path)
    images = [torch.zeros(3, 8, 8), torch.ones(3, 8, 8)]
    logger.log_image("samples", images, step=5, caption=["dark", "light"])
    logger.close()
    run = store_runs(tmp_path)[logger.version]
    assert set(run.images("samples_0").step) == {5} and set(run.images("samples_1").step) == {5}
    assert run["samples.captions/step-00000005.json"] == {"samples_0": "dark", "samples_1": "light"}


def test_log_image_refuses_what_wandb_logger_refuses(tmp_path):
    logger = store_logger(tmp_path)
    with pytest.raises(TypeError, match="list"):
        logger.log_image("samples", torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="caption"):
        logger.log_image("samples", [torch.zeros(3, 8, 8)], caption=["a", "b"])
    logger.close()


def test_log_table_and_log_text_store_columns_and_rows(tmp_path):
    pandas = pytest.importorskip("pandas")
    logger = store_logger(tmp_path)
    logger.log_text("generated", columns=["prompt", "text"], data=[["a", "b"]], step=2)
    logger.log_table("scores", dataframe=pandas.DataFrame({"k": [1, 2], "acc": [0.5, 0.75]}))
    logger.close()
    run = store_runs(tmp_path)[logger.version]
    assert run["generated/step-00000002.json"] == {"columns": ["prompt", "text"], "data": [["a", "b"]]}
    assert run["scores.json"] == {"columns": ["k", "acc"], "data": [[1.0, 0.5], [2.0, 0.75]]}


# -- naming --------------------------------------------------------------------------------


def test_metric_prefix_is_lightnings_prefix_joined_by_a_dash(tmp_path):
    logger = store_logger(tmp_path, metric_prefix="tmp")
    logger.log_metrics({"test": 1.0}, step=0)
    logger.close()
    assert list(store_runs(tmp_path)[logger.version]["train.csv"].columns)[:2] == ["epoch", "tmp-test"]


def test_a_bare_word_prefix_is_taken_as_a_store_folder_with_a_warning_naming_metric_prefix(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.chdir(tmp_path)
    LabWorkbookLogger("train", save_dir=tmp_path)
    assert "metric_prefix='train'" in caplog.text


CLI = """
import sys
import lightning, torch
from lightning.pytorch.cli import LightningCLI
from torch import nn


class Tiny(lightning.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(3, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.05)

    def train_dataloader(self):
        x = torch.randn(16, 3)
        return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4)


cli = LightningCLI(Tiny)
print("tag", cli.trainer.logger.version)
"""


@pytest.mark.slow
def test_lightning_cli_takes_the_logger_by_class_path_and_saves_its_config_in_save_dir(tmp_path):
    import os
    import subprocess
    import sys

    pytest.importorskip("jsonargparse", reason="LightningCLI needs jsonargparse (hatch.toml installs it)")
    (tmp_path / "cli.py").write_text(CLI)
    arguments = [
        "fit",
        "--trainer.max_epochs=1",
        "--trainer.accelerator=cpu",
        "--trainer.enable_progress_bar=false",
        "--trainer.logger.class_path=lab_workbook_writer.lightning.LabWorkbookLogger",
        f"--trainer.logger.init_args.prefix={tmp_path / 'store'}",
        f"--trainer.logger.init_args.save_dir={tmp_path / 'logs'}",
    ]
    result = subprocess.run(
        [sys.executable, str(tmp_path / "cli.py"), *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "LAB_WORKBOOK_SPOOL_DIR": str(tmp_path / "spool")},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "logs" / "config.yaml").is_file()  # SaveConfigCallback wrote it to trainer.log_dir
    tag = result.stdout.split("tag ")[-1].split()[0]
    assert store_runs(tmp_path)[tag].status == "finished"
