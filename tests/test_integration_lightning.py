"""A real (tiny, CPU) Lightning fit recorded by LabWorkbookLogger, read back with the reader."""

import subprocess
import sys

from lab_workbook import ExperimentRepository
from lab_workbook_writer.lightning import LabWorkbookLogger
import pytest

lightning = pytest.importorskip("lightning", reason="lightning needs torch, installed on Python 3.11 only (hatch.toml)")
import torch  # noqa: E402
from torch import nn  # noqa: E402


class TinyRegression(lightning.LightningModule):
    def __init__(self, lr: float = 0.05, hidden: int = 4, fail_at_step: int | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(3, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def training_step(self, batch, batch_idx):
        if self.hparams.fail_at_step is not None and self.global_step == self.hparams.fail_at_step:
            raise RuntimeError("diverged")
        x, y = batch
        loss = nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss)
        if self.current_epoch >= 1:
            self.log("train/lr", self.hparams.lr)  # a field that appears in the second epoch
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", nn.functional.mse_loss(self.net(x), y))

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_loss", nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def _loader(seed: int) -> torch.utils.data.DataLoader:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 3, generator=generator)
    y = x.sum(dim=1, keepdim=True)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)


def _trainer(tmp_path, logger, **kwargs):
    return lightning.Trainer(
        max_epochs=2,
        logger=logger,
        accelerator="cpu",
        devices=1,
        default_root_dir=tmp_path,
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """One fit + test, shared by the tests that read it back: (repository, tag)."""
    tmp_path = tmp_path_factory.mktemp("lightning")
    prefix = str(tmp_path / "store")
    logger = LabWorkbookLogger(
        prefix,
        description="tiny lightning fit",
        log_model=True,
        keep_open=True,
        save_dir=tmp_path,
        spool_dir=tmp_path / "spool",
    )
    checkpoint = lightning.pytorch.callbacks.ModelCheckpoint(monitor="val_loss", save_last=True)
    trainer = _trainer(tmp_path, logger, callbacks=[checkpoint])
    trainer.fit(TinyRegression(), _loader(0), _loader(1))
    trainer.test(trainer.lightning_module, _loader(2))
    assert logger.experiment.closed is False  # keep_open=True: the run stays open for test()
    assert logger.close()
    return ExperimentRepository(prefix), logger.experiment.tag


def test_every_training_step_is_a_row_of_train_csv_with_step_and_epoch_first(fitted):
    repository, tag = fitted
    train = repository[tag]["train.csv"]
    assert train.index.name == "step" and list(train.columns)[:1] == ["epoch"]
    assert len(train) == 8  # 4 batches x 2 epochs
    assert train["train_loss"].notna().all()
    assert train["train/lr"].fillna(0).tolist() == pytest.approx([0] * 4 + [0.05] * 4)
    assert train["epoch"].tolist() == [0] * 4 + [1] * 4


def test_validation_and_test_metrics_go_to_their_own_series(fitted):
    repository, tag = fitted
    experiment = repository[tag]
    val, test = experiment["val.csv"], experiment["test.csv"]
    assert val.index.tolist() == [3, 7] and val["epoch"].tolist() == [0, 1]
    assert val["val_loss"].notna().all()
    assert len(test) == 1 and test["test_loss"].notna().all()


def test_hyperparameters_are_saved_as_json(fitted):
    repository, tag = fitted
    assert repository[tag]["hparams.json"] == {"lr": 0.05, "hidden": 4, "fail_at_step": None}


def test_the_best_and_last_checkpoints_are_stored_by_step_and_load_safely(fitted):
    repository, tag = fitted
    experiment = repository[tag]
    checkpoints = experiment.checkpoints("checkpoints")
    assert checkpoints.step.max() == 8  # the last, after 2 epochs of 4 steps
    best = experiment["checkpoints.best.json"]
    assert best["monitor"] == "val_loss" and best["step"] in set(checkpoints.step)
    state = experiment.load_checkpoint("checkpoints")["state_dict"]
    assert set(state) == {"net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"}


def test_the_run_is_finished_with_its_description(fitted):
    repository, tag = fitted
    assert repository[tag].status == "finished"
    assert repository[tag].description == "tiny lightning fit"


def test_a_fit_that_raises_is_recorded_failed_with_the_error(tmp_path):
    prefix = str(tmp_path / "store")
    logger = LabWorkbookLogger(prefix, save_dir=tmp_path, spool_dir=tmp_path / "spool")
    with pytest.raises(RuntimeError, match="diverged"):
        _trainer(tmp_path, logger).fit(TinyRegression(fail_at_step=3), _loader(0))
    assert logger.experiment.closed
    experiment = ExperimentRepository(prefix)[logger.experiment.tag]
    assert experiment.status == "failed"
    assert experiment.info["error"] == {"type": "RuntimeError", "message": "diverged"}
    assert len(experiment["train.csv"]) == 3  # the rows before the failure are kept


def test_a_failed_fit_is_resumed_by_a_logger_with_resume_auto_as_one_run(tmp_path):
    prefix = str(tmp_path / "store")
    first = LabWorkbookLogger(prefix, tag="fit-1", resume="auto", save_dir=tmp_path, spool_dir=tmp_path / "spool")
    with pytest.raises(RuntimeError, match="diverged"):
        _trainer(tmp_path, first).fit(TinyRegression(fail_at_step=3), _loader(0))
    second = LabWorkbookLogger(prefix, tag="fit-1", resume="auto", save_dir=tmp_path, spool_dir=tmp_path / "spool")
    _trainer(tmp_path, second).fit(TinyRegression(), _loader(0))
    assert second.experiment.closed  # a successful fit ends the run
    experiment = ExperimentRepository(prefix)["fit-1"]
    assert experiment.status == "finished"
    assert [attempt.status for attempt in experiment.attempts] == ["failed", "finished"]
    assert list(experiment["train.csv"].index) == list(range(8))  # steps 0-2 of attempt 1 superseded
    assert len(experiment.load("train.csv", attempts="all")) == 3 + 8


def test_logger_experiment_is_the_writers_experiment(tmp_path):
    from lab_workbook_writer import Experiment

    logger = LabWorkbookLogger(str(tmp_path / "store"), spool_dir=tmp_path / "spool")
    assert isinstance(logger, LabWorkbookLogger)
    assert isinstance(logger, lightning.pytorch.loggers.Logger)
    with logger.experiment as experiment:
        assert isinstance(experiment, Experiment) and logger.version == experiment.tag


def test_lightning_is_imported_when_the_first_logger_is_made_and_not_before():
    probe = (
        "import sys\n"
        "from lab_workbook_writer.lightning import LabWorkbookLogger\n"
        "print('lightning' in sys.modules)\n"
        "LabWorkbookLogger()\n"
        "print('lightning' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300)
    assert result.stdout.split() == ["False", "True"]


def test_log_model_must_be_true_false_or_all(tmp_path):
    from lab_workbook_core import InvalidValueError

    with pytest.raises(InvalidValueError, match="log_model"):
        LabWorkbookLogger(str(tmp_path / "store"), log_model="best")


@pytest.mark.slow
def test_the_example_script_trains_and_the_run_is_finished_with_its_checkpoints(run_example):
    run = run_example("lightning_train.py", "--epochs", "1")
    assert run.status == "finished"
    assert {"train.csv", "val.csv", "hparams.json", "checkpoints.best.json"} <= set(run.list_artifacts())
    assert list(run.checkpoints("checkpoints").step) == [8]  # 256 points in batches of 32: one epoch


def test_only_global_rank_zero_writes(tmp_path, monkeypatch):
    from lightning.fabric.utilities.rank_zero import rank_zero_only

    monkeypatch.setattr(rank_zero_only, "rank", 1)
    logger = LabWorkbookLogger(str(tmp_path / "store"), log_model="all")
    logger.log_hyperparams({"lr": 0.1})
    logger.log_metrics({"train_loss": 1.0}, step=0)
    logger.finalize("success")
    logger.experiment.save_json("ignored", {})  # Lightning's dummy experiment on other ranks
    assert logger._experiment is None and not (tmp_path / "store").exists()
    assert logger.version is None


def test_a_logger_not_yet_used_survives_pickling_for_spawned_processes(tmp_path):
    import pickle

    logger = pickle.loads(pickle.dumps(LabWorkbookLogger(str(tmp_path / "store"), description="spawned")))
    assert isinstance(logger, LabWorkbookLogger) and isinstance(logger, lightning.pytorch.loggers.Logger)
    with logger.experiment as wb:
        assert wb.description == "spawned"
