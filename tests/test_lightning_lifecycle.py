"""When LabWorkbookLogger's run ends, and what the logger's next use records (docs/integrations.md).

A successful trainer call ends the run ``finished`` (a notebook's fit is not left ``running``
until the kernel exits) unless ``keep_open=True``; a failed one ends it ``failed``. The same
logger used again continues a failed run as a new attempt, and starts a new run after a
finished one, naming it as parent: a finished run never changes.
"""

from __future__ import annotations

from lab_workbook import ExperimentRepository
from lab_workbook_writer.lightning import LabWorkbookLogger
import pytest

lightning = pytest.importorskip("lightning", reason="lightning needs torch, installed on Python 3.11 only (hatch.toml)")
from lightning_parts import Tiny, quiet_trainer, store_logger, tiny_data  # noqa: E402


def test_a_successful_fit_records_the_run_finished_when_it_returns(tmp_path):
    logger = store_logger(tmp_path)
    quiet_trainer(tmp_path, logger).fit(Tiny(), tiny_data())
    assert logger.experiment.closed
    assert ExperimentRepository(str(tmp_path / "store"))[logger.version].status == "finished"


def test_keep_open_leaves_the_run_running_for_test_and_close_finishes_it(tmp_path):
    logger = store_logger(tmp_path, keep_open=True)
    trainer = quiet_trainer(tmp_path, logger)
    trainer.fit(Tiny(), tiny_data(), tiny_data())
    trainer.test(trainer.lightning_module, tiny_data())
    repository = ExperimentRepository(str(tmp_path / "store"))
    assert repository[logger.version].status == "running"
    assert logger.close()
    experiment = ExperimentRepository(str(tmp_path / "store"))[logger.version]
    assert experiment.status == "finished"
    assert {"train.csv", "val.csv", "test.csv"} <= set(experiment.list_artifacts())


def test_metrics_go_to_the_series_of_the_stage_lightning_logged_them_in(tmp_path):
    logger = store_logger(tmp_path, keep_open=True)
    trainer = quiet_trainer(tmp_path, logger)
    trainer.fit(Tiny(), tiny_data(), tiny_data())
    trainer.test(trainer.lightning_module, tiny_data())
    logger.close()
    experiment = ExperimentRepository(str(tmp_path / "store"))[logger.version]
    assert list(experiment["train.csv"].index) == [0, 1]  # "loss" of the training steps
    assert experiment["val.csv"]["loss"].notna().all()  # "loss" of validation: val.csv, not train.csv
    assert list(experiment["test.csv"].columns)[:2] == ["epoch", "mse"]


def test_test_after_a_finished_fit_is_a_new_run_naming_the_fit_as_parent(tmp_path, caplog):
    logger = store_logger(tmp_path)
    trainer = quiet_trainer(tmp_path, logger)
    trainer.fit(Tiny(), tiny_data())
    fitted = logger.version
    trainer.test(trainer.lightning_module, tiny_data())
    tested = logger.version
    repository = ExperimentRepository(str(tmp_path / "store"))
    assert tested != fitted and repository[fitted].status == "finished"
    assert "test.csv" not in repository[fitted].list_artifacts()  # the finished run did not change
    assert repository[tested].status == "finished"
    assert repository[tested].parent.tag == fitted and repository[tested].parent.step == 2
    assert repository[tested]["test.csv"]["mse"].notna().all()
    assert f"recording in a new run {tested} whose parent is {fitted}" in caplog.text


def test_a_second_fit_after_a_failed_one_continues_the_run_as_its_next_attempt(store_prefix, tmp_path):
    logger = LabWorkbookLogger(store_prefix, save_dir=tmp_path, spool_dir=tmp_path / "spool")
    with pytest.raises(RuntimeError, match="diverged"):
        quiet_trainer(tmp_path, logger).fit(Tiny(fail_at_step=1), tiny_data())
    failed = logger.version
    quiet_trainer(tmp_path, logger, max_epochs=2).fit(Tiny(), tiny_data())  # the notebook's next cell
    assert logger.version == failed
    experiment = ExperimentRepository(store_prefix)[failed]
    assert experiment.status == "finished"
    assert [attempt.status for attempt in experiment.attempts] == ["failed", "finished"]
    assert list(experiment["train.csv"].index) == [0, 1, 2, 3]


def test_close_then_log_starts_a_new_run_and_never_writes_the_finished_one(tmp_path):
    logger = store_logger(tmp_path)
    logger.log_metrics({"loss": 1.0}, step=0)
    first = logger.version
    assert logger.close()
    logger.log_metrics({"loss": 0.5}, step=1)
    assert logger.version != first
    repository = ExperimentRepository(str(tmp_path / "store"))
    assert list(repository[first]["train.csv"]["loss"]) == [1.0]
    assert repository[logger.version].parent.tag == first


def test_a_slurm_requeue_leaves_the_run_interrupted_for_the_requeued_job_to_resume(tmp_path):
    logger = store_logger(tmp_path, tag="slurm-42", resume="auto")
    logger.log_metrics({"loss": 1.0}, step=0)
    logger.finalize("finished")  # Lightning's SIGUSR1 handler, just before it requeues the job
    repository = ExperimentRepository(str(tmp_path / "store"))
    assert repository["slurm-42"].status == "interrupted"
    requeued = store_logger(tmp_path, tag="slurm-42", resume="auto")
    requeued.log_metrics({"loss": 0.5}, step=1)
    requeued.close()
    assert [a.status for a in ExperimentRepository(str(tmp_path / "store"))["slurm-42"].attempts] == [
        "interrupted",
        "finished",
    ]


def test_an_experiment_given_to_the_logger_is_left_open_for_its_owner(tmp_path):
    from lab_workbook_writer import new_experiment

    with new_experiment(str(tmp_path / "store"), spool_dir=tmp_path / "spool") as wb:
        logger = LabWorkbookLogger(experiment=wb, save_dir=tmp_path)
        quiet_trainer(tmp_path, logger).fit(Tiny(), tiny_data())
        assert not wb.closed
    assert ExperimentRepository(str(tmp_path / "store"))[wb.tag].status == "finished"


@pytest.mark.parametrize("tuner_method", ["lr_find", "scale_batch_size"])
def test_a_tuner_run_before_the_fit_is_part_of_the_fits_run(tmp_path, tuner_method):
    class Tunable(Tiny):
        def __init__(self, lr: float = 0.05, batch_size: int = 4) -> None:
            super().__init__()
            self.lr, self.batch_size = lr, batch_size

        def train_dataloader(self):
            return tiny_data(self.batch_size)

        def val_dataloader(self):
            return self.train_dataloader()

    logger = store_logger(tmp_path)
    trainer = quiet_trainer(tmp_path, logger)
    model = Tunable()
    tuner = lightning.pytorch.tuner.Tuner(trainer)
    if tuner_method == "lr_find":
        tuner.lr_find(model, num_training=4)
    else:
        tuner.scale_batch_size(model, max_trials=1)
    trainer.fit(model)
    runs = list(ExperimentRepository(str(tmp_path / "store")))
    assert [(run.tag, run.status) for run in runs] == [(logger.version, "finished")]
