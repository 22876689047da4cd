"""Lightning's own logger tests, ported to LabWorkbookLogger and run against the pinned Lightning (hatch.toml).

Each test names the upstream test it keeps (``tests/tests_pytorch/loggers/test_all.py`` and
``test_logger.py`` of Lightning-AI/pytorch-lightning), written anew for this logger: where upstream
mocks a service, these read back what the store holds. Upstream tests that contradict a design
choice of ours are listed, with the reason, in docs/integrations.md ("Lightning's own logger tests").
"""

from __future__ import annotations

from argparse import Namespace
import pickle

from lab_workbook_writer import Experiment
from lab_workbook_writer.lightning import LabWorkbookLogger
import pytest

lightning = pytest.importorskip("lightning", reason="lightning needs torch, installed on Python 3.11 only (hatch.toml)")
from lightning.pytorch.demos.boring_classes import BoringDataModule, BoringModel  # noqa: E402
from lightning.pytorch.loggers.logger import DummyExperiment  # noqa: E402
from lightning_parts import store_logger, store_runs  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402


def _quiet(**kwargs):
    return dict(enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", **kwargs)


# -- test_all.py ---------------------------------------------------------------------------


class _HistoryLogger(LabWorkbookLogger):
    """Upstream's StoreHistoryLogger: a user's subclass that keeps what it was asked to log."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.history: list = []

    def log_metrics(self, metrics, step=None) -> None:
        super().log_metrics(metrics, step)
        self.history.append((step, metrics))


def test_loggers_fit_test_all(tmp_path):
    """Upstream ``test_loggers_fit_test_all``: a subclass fits and tests; the calls match every built-in logger's."""

    class CustomModel(BoringModel):
        def training_step(self, batch, batch_idx):
            loss = self.step(batch)
            self.log("train_some_val", loss)
            return {"loss": loss}

        def on_validation_epoch_end(self):
            self.log_dict({"early_stop_on": torch.tensor(1), "val_loss": torch.tensor(0.5)})

        def on_test_epoch_end(self):
            self.log("test_loss", torch.tensor(2))

    logger = store_logger(tmp_path, _HistoryLogger, keep_open=True)
    trainer = lightning.Trainer(
        max_epochs=1,
        logger=logger,
        limit_train_batches=1,
        limit_val_batches=1,
        log_every_n_steps=1,
        default_root_dir=tmp_path,
        **_quiet(),
    )
    trainer.fit(CustomModel())
    trainer.test()
    assert [(s, sorted(m)) for s, m in logger.history] == [
        (0, ["epoch", "train_some_val"]),
        (0, ["early_stop_on", "epoch", "val_loss"]),
        (1, ["epoch", "test_loss"]),
    ]
    logger.close()
    run = store_runs(tmp_path)[logger.version]
    assert list(run["train.csv"].index) == [0] and list(run["val.csv"].index) == [0]
    assert run["test.csv"].loc[1, "test_loss"] == 2


def test_loggers_pickle_all(tmp_path):
    """Upstream ``test_loggers_pickle_all``: a used logger, and a trainer holding it, pickle; the copy logs."""
    logger = store_logger(tmp_path, keep_open=True)
    _ = logger.experiment
    logger.log_metrics({"a": 1})
    logger.save()
    pickle.dumps(logger)
    trainer = lightning.Trainer(max_epochs=1, logger=logger, default_root_dir=tmp_path, **_quiet())
    trainer2 = pickle.loads(pickle.dumps(trainer))
    trainer2.logger.log_metrics({"acc": 1.0})
    assert trainer2.logger.name == logger.name
    assert trainer2.logger.save_dir == logger.save_dir
    assert logger.close()
    assert store_runs(tmp_path)[logger.version]["train.csv"][["a", "acc"]].count().tolist() == [1, 1]


@pytest.mark.parametrize("tuner_method", ["lr_find", "scale_batch_size"])
def test_logger_reset_correctly(tmp_path, tuner_method):
    """Upstream ``test_logger_reset_correctly``: the tuner leaves the trainer's and the model's logger in place."""

    class CustomModel(BoringModel):
        def __init__(self, lr=0.1, batch_size=1):
            super().__init__()
            self.save_hyperparameters()

    model = CustomModel()
    logger = store_logger(tmp_path)
    trainer = lightning.Trainer(default_root_dir=tmp_path, max_epochs=1, logger=logger, **_quiet())
    tuner = lightning.pytorch.tuner.Tuner(trainer)
    getattr(tuner, tuner_method)(model, **({"max_trials": 2} if tuner_method == "scale_batch_size" else {}))
    assert trainer.logger is logger and model.logger is logger


class LazyInitExperimentCheck(lightning.Callback):
    """Upstream's callback: at ``setup`` rank 0's experiment already exists (made lazily before it)."""

    def setup(self, trainer, pl_module, stage=None):
        if trainer.global_rank == 0:
            assert isinstance(trainer.logger.experiment, Experiment)


class RankZeroLoggerCheck(lightning.Callback):
    """Upstream's callback: other ranks get Lightning's dummy experiment, whose methods do nothing."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        is_dummy = isinstance(trainer.logger.experiment, DummyExperiment)
        assert is_dummy != trainer.is_global_zero
        if not trainer.is_global_zero:
            assert pl_module.logger.experiment.something(foo="bar") is None


@pytest.mark.slow
def test_logger_initialization(tmp_path, spawnable):
    """Upstream ``test_logger_initialization``: under ``ddp_spawn`` on 2 CPU processes, rank 0 alone writes."""
    logger = store_logger(tmp_path)
    trainer = lightning.Trainer(
        logger=logger,
        default_root_dir=tmp_path,
        strategy="ddp_spawn",
        devices=2,
        max_steps=1,
        callbacks=[LazyInitExperimentCheck(), RankZeroLoggerCheck()],
        **_quiet(),
    )
    trainer.fit(BoringModel())
    assert store_runs(tmp_path).tags() == [logger.version]


def test_logger_with_prefix_all(tmp_path):
    """Upstream ``test_logger_with_prefix_all``: the metric-key prefix joins with ``-`` (ours is ``metric_prefix``)."""
    logger = store_logger(tmp_path, metric_prefix="tmp")
    logger.log_metrics({"test": 1.0}, step=0)
    logger.close()
    assert store_runs(tmp_path)[logger.version]["train.csv"].loc[0, "tmp-test"] == 1.0


def test_logger_default_name(tmp_path):
    """Upstream ``test_logger_default_name`` expects ``lightning_logs``: ours is ``lab-workbook`` (docs say why)."""
    assert store_logger(tmp_path).name == "lab-workbook"


# -- test_logger.py ------------------------------------------------------------------------


class _CheckpointNoted(LabWorkbookLogger):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.after_save_checkpoint_called = False
        self.finalized_status: str | None = None

    def after_save_checkpoint(self, checkpoint_callback) -> None:
        super().after_save_checkpoint(checkpoint_callback)
        self.after_save_checkpoint_called = True

    def finalize(self, status: str) -> None:
        super().finalize(status)
        self.finalized_status = status


class _LoggingModel(BoringModel):
    def training_step(self, batch, batch_idx):
        loss = self.step(batch)
        self.log("train_loss", loss)
        return {"loss": loss}


def test_custom_logger(tmp_path):
    """Upstream ``test_custom_logger``: metrics logged, told of the checkpoint, finalized with ``success``."""
    logger = store_logger(tmp_path, _CheckpointNoted)
    trainer = lightning.Trainer(max_steps=2, log_every_n_steps=1, logger=logger, default_root_dir=tmp_path, **_quiet())
    trainer.fit(_LoggingModel())
    assert trainer.state.finished
    assert logger.after_save_checkpoint_called and logger.finalized_status == "success"
    run = store_runs(tmp_path)[logger.version]
    assert run.status == "finished" and len(run["train.csv"]) == 2


def test_multiple_loggers(tmp_path):
    """Upstream ``test_multiple_loggers``: two loggers of one trainer each record their run."""
    first, second = store_logger(tmp_path), store_logger(tmp_path)
    trainer = lightning.Trainer(
        max_steps=2, log_every_n_steps=1, logger=[first, second], default_root_dir=tmp_path, **_quiet()
    )
    trainer.fit(_LoggingModel())
    assert trainer.state.finished
    runs = store_runs(tmp_path)
    for logger in (first, second):
        run = runs[logger.version]
        assert run.status == "finished" and len(run["train.csv"]) == 2
        assert "hparams.json" not in run.list_artifacts()  # BoringModel saves no hyperparameters


def test_multiple_loggers_pickle(tmp_path):
    """Upstream ``test_multiple_loggers_pickle``: a trainer with two loggers pickles; each copy logs."""
    first, second = store_logger(tmp_path, keep_open=True), store_logger(tmp_path, keep_open=True)
    trainer = lightning.Trainer(logger=[first, second], default_root_dir=tmp_path, **_quiet())
    trainer2 = pickle.loads(pickle.dumps(trainer))
    for logger in trainer2.loggers:
        logger.log_metrics({"acc": 1.0}, 0)
    tags = [logger.version for logger in trainer2.loggers]
    assert len(set(tags)) == 2
    for logger in trainer2.loggers:
        logger.close()
    for tag in tags:
        assert store_runs(tmp_path)[tag]["train.csv"].loc[0, "acc"] == 1.0


def test_adding_step_key(tmp_path):
    """Upstream ``test_adding_step_key``: a ``step`` the model logs is the row's step."""

    class CustomModel(BoringModel):
        logged_step = 0

        def on_train_epoch_end(self):
            self.logged_step += 1
            self.log_dict({"step": float(self.logged_step), "train_acc": self.logged_step / 10})

        def on_validation_epoch_end(self):
            self.logged_step += 1
            self.log_dict({"step": float(self.logged_step), "val_acc": self.logged_step / 10})

    logger = store_logger(tmp_path)
    trainer = lightning.Trainer(
        max_epochs=3,
        logger=logger,
        default_root_dir=tmp_path,
        limit_train_batches=0.1,
        limit_val_batches=0.1,
        num_sanity_val_steps=0,
        **_quiet(),
    )
    trainer.fit(CustomModel())
    run = store_runs(tmp_path)[logger.version]
    assert list(run["val.csv"].index) == [1, 3, 5]
    assert run["val.csv"]["val_acc"].tolist() == pytest.approx([0.1, 0.3, 0.5])
    assert run["train.csv"].dropna(subset=["train_acc"]).index.tolist() == [2, 4, 6]


def test_dummylogger_noop_method_calls(tmp_path, monkeypatch):
    """Upstream ``test_dummylogger_noop_method_calls``, ``test_dummlogger_arbitrary_method_calls`` and
    ``test_dummyexperiment_support_item_assignment``: off rank 0 every call does nothing."""
    from lightning.fabric.utilities.rank_zero import rank_zero_only

    monkeypatch.setattr(rank_zero_only, "rank", 1)
    logger = store_logger(tmp_path)
    logger.log_hyperparams({"lr": 1}, {"m": 2})
    logger.log_metrics({"loss": 1.0}, 2)
    logger.log_image("samples", [torch.zeros(3, 4, 4)])
    logger.log_text("text", columns=["a"], data=[["b"]])
    experiment = logger.experiment
    experiment["variable"] = "value"
    assert experiment["variable"] != "value" and callable(experiment.log_text)
    assert not (tmp_path / "store").exists()


def test_np_sanitization(tmp_path):
    """Upstream ``test_np_sanitization``: numpy scalars stored as Python values, complex ones as text."""
    logger = store_logger(tmp_path)
    logger.log_hyperparams(
        Namespace(
            **{
                "np.bool_": np.bool_(1),
                "np.byte": np.byte(2),
                "np.intc": np.intc(3),
                "np.int_": np.int_(4),
                "np.longlong": np.longlong(5),
                "np.single": np.single(6.0),
                "np.double": np.double(8.9),
                "np.csingle": np.csingle(7 + 2j),
                "np.cdouble": np.cdouble(9 + 4j),
            }
        )
    )
    logger.close()
    assert store_runs(tmp_path)[logger.version]["hparams.json"] == {
        "np.bool_": True,
        "np.byte": 2,
        "np.intc": 3,
        "np.int_": 4,
        "np.longlong": 5,
        "np.single": 6.0,
        "np.double": 8.9,
        "np.csingle": "(7+2j)",
        "np.cdouble": "(9+4j)",
    }


@pytest.mark.parametrize("log_them", [True, False])
def test_log_hyperparams_being_called(tmp_path, log_them):
    """Upstream ``test_log_hyperparams_being_called``: ``save_hyperparameters(logger=False)`` keeps them out."""

    class TestModel(BoringModel):
        def __init__(self, param_one, param_two):
            super().__init__()
            self.save_hyperparameters(logger=log_them)

    logger = store_logger(tmp_path)
    trainer = lightning.Trainer(
        default_root_dir=tmp_path,
        max_epochs=1,
        limit_train_batches=0.1,
        limit_val_batches=0.1,
        num_sanity_val_steps=0,
        logger=logger,
        **_quiet(),
    )
    trainer.fit(TestModel("pytorch", "lightning"))
    artifacts = store_runs(tmp_path)[logger.version].list_artifacts()
    assert ("hparams.json" in artifacts) is log_them


def test_log_hyperparams_key_collision(tmp_path):
    """Upstream ``test_log_hyperparams_key_collision``: equal model and datamodule hyperparameters merge;
    differing ones stop the fit, and the run records that failure."""

    class TestModel(BoringModel):
        def __init__(self, hparams):
            super().__init__()
            self.save_hyperparameters(hparams)

    class TestDataModule(BoringDataModule):
        def __init__(self, hparams):
            super().__init__()
            self.save_hyperparameters(hparams)

    def fit(model_params, data_params):
        logger = store_logger(tmp_path)
        trainer = lightning.Trainer(
            default_root_dir=tmp_path,
            logger=logger,
            max_epochs=1,
            limit_train_batches=0.1,
            limit_val_batches=0.1,
            num_sanity_val_steps=0,
            enable_checkpointing=False,
            **_quiet(),
        )
        trainer.fit(TestModel(model_params), TestDataModule(data_params))
        return logger

    same = {"1": 1, "2": 2, "three": 3.0}
    logger = fit(same, dict(same))
    assert store_runs(tmp_path)[logger.version]["hparams.json"] == same
    with pytest.raises(RuntimeError, match="Error while merging hparams"):
        fit(same, {**same, "1": 0})
    failed = [run for run in store_runs(tmp_path) if run.status == "failed"]
    assert len(failed) == 1 and "Error while merging hparams" in failed[0].info["error"]["message"]


@pytest.mark.parametrize("save_top_k", [0, 1, 2, 5])
def test_scan_checkpoints(tmp_path, save_top_k):
    """Upstream ``test_scan_checkpoints``: each of the top k checkpoint files is stored once, and only once."""
    callback = lightning.pytorch.callbacks.ModelCheckpoint(dirpath=tmp_path / "ckpt")
    (tmp_path / "ckpt").mkdir()
    for step in range(save_top_k):
        path = tmp_path / "ckpt" / f"{step}.ckpt"
        torch.save({"global_step": step, "state_dict": {}}, path)
        callback.best_k_models[str(path)] = torch.tensor(float(step))
    logger = store_logger(tmp_path, log_model="all")
    logger.after_save_checkpoint(callback)
    logger.experiment.flush()
    stored = logger.experiment.storage.requests
    logger.after_save_checkpoint(callback)  # nothing new: nothing stored again
    logger.experiment.flush()
    assert logger.experiment.storage.requests == stored
    logger.close()
    run = store_runs(tmp_path)[logger.version]
    steps = run.checkpoints("checkpoints").step.tolist() if save_top_k else []
    assert sorted(steps) == list(range(save_top_k))
