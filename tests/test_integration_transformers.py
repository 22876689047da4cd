"""A real transformers.Trainer.train() on a tiny BERT made from a config, recorded by LabWorkbookCallback.

No download: the model is built from a ``BertConfig``, the data is synthetic, HF_HUB_OFFLINE=1.
"""

import importlib.util
import os
from pathlib import Path
from types import ModuleType

from lab_workbook import ExperimentRepository
from lab_workbook_writer.transformers import LabWorkbookCallback
import pytest

pytest.importorskip("transformers", reason="transformers needs torch, installed on Python 3.11 only (hatch.toml)")
import torch

ROOT = Path(__file__).resolve().parents[1]


def _load_example() -> ModuleType:
    """examples/transformers_train.py: its synthetic dataset and tiny model are the tests' too."""
    spec = importlib.util.spec_from_file_location("transformers_train", ROOT / "examples" / "transformers_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_example = _load_example()
Synthetic, tiny_bert_config = _example.Synthetic, _example.tiny_bert_config


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def _cpu_training_arguments(tmp_path, **options):
    """Quick, quiet, reproducible CPU training (batches of 4, no checkpoints, no other reporter), plus ``options``."""
    import transformers

    return transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=4,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
        **options,
    )


def _train(tmp_path, callback, max_steps=6):
    import transformers

    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(tiny_bert_config())
    args = _cpu_training_arguments(
        tmp_path,
        max_steps=max_steps,
        per_device_eval_batch_size=8,
        learning_rate=1e-3,
        logging_steps=2,
        eval_strategy="steps",
        eval_steps=3,
    )
    trainer = transformers.Trainer(
        model=model,
        args=args,
        train_dataset=Synthetic(32, 0),
        eval_dataset=Synthetic(16, 1),
        callbacks=[callback],
    )
    trainer.train()
    return trainer


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One Trainer.train() of 6 steps, read back by the tests: (experiment as the reader sees it)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tmp_path = tmp_path_factory.mktemp("hf")
    prefix = str(tmp_path / "store")
    callback = LabWorkbookCallback(prefix, description="tiny bert", save_model=True, spool_dir=tmp_path / "spool")
    _train(tmp_path, callback)
    assert callback.close()
    return ExperimentRepository(prefix)[callback.experiment.tag]


def test_training_logs_are_rows_of_train_csv_by_global_step(trained):
    train = trained["train.csv"]
    assert train.index.name == "step" and train.columns[0] == "epoch"
    logged = train[train["loss"].notna()]
    assert logged.index.tolist() == [2, 4, 6]
    assert logged["learning_rate"].notna().all() and logged["grad_norm"].notna().all()
    assert "train_runtime" in train.columns  # the summary at the end, a field that arrives last


def test_evaluation_metrics_go_to_eval_csv(trained):
    evaluation = trained["eval.csv"]
    assert evaluation.index.tolist() == [3, 6]
    assert evaluation["eval_loss"].notna().all()


def test_training_arguments_and_model_config_are_saved(trained):
    args, config = trained["training_args.json"], trained["model_config.json"]
    assert args["max_steps"] == 6 and args["learning_rate"] == 1e-3 and args["logging_steps"] == 2
    assert config["num_hidden_layers"] == 2 and config["vocab_size"] == 32 and config["model_type"] == "bert"


def test_the_final_weights_are_saved_when_asked(trained):
    state = trained["model.pt"]
    assert state["classifier.weight"].shape == (2, 16)


def test_the_run_is_finished(trained):
    assert trained.status == "finished" and trained.description == "tiny bert"


class Exploding(Synthetic):
    """Its 14th sample read raises: the fourth batch of four fails (or the third, read ahead)."""

    reads = 0

    def __getitem__(self, index: int) -> dict:
        self.reads += 1
        if self.reads == 14:
            raise ValueError("bad sample")
        return super().__getitem__(index)


def test_a_training_that_raises_is_recorded_failed_even_when_the_error_is_caught(tmp_path):
    import transformers

    prefix = str(tmp_path / "store")
    callback = LabWorkbookCallback(prefix, spool_dir=tmp_path / "spool")
    args = _cpu_training_arguments(tmp_path, max_steps=8, logging_steps=1)
    trainer = transformers.Trainer(
        model=transformers.BertForSequenceClassification(tiny_bert_config(1)),
        args=args,
        train_dataset=Exploding(32, 0),
        callbacks=[callback],
    )
    with pytest.raises(ValueError, match="bad sample"):
        trainer.train()
    callback.close()
    experiment = ExperimentRepository(prefix)[callback.experiment.tag]
    assert experiment.status == "failed"
    assert experiment.info["error"]["type"] == "TrainingNotFinished"
    steps = experiment["train.csv"].index.tolist()  # the steps before the failure are kept
    assert steps == list(range(1, len(steps) + 1)) and 1 <= len(steps) <= 3


def test_a_callback_that_is_not_the_main_process_writes_nothing(tmp_path):
    import transformers

    callback = LabWorkbookCallback(str(tmp_path / "store"), spool_dir=tmp_path / "spool")
    state = transformers.TrainerState(is_world_process_zero=False)
    callback.on_train_begin(transformers.TrainingArguments(output_dir=str(tmp_path), report_to=[]), state, None)
    callback.on_log(None, state, None, logs={"loss": 1.0})
    assert callback._experiment is None and not (tmp_path / "store").exists()


def test_a_callback_is_a_trainer_callback():
    import transformers

    assert isinstance(LabWorkbookCallback(), transformers.TrainerCallback)


@pytest.mark.slow
def test_the_example_script_trains_and_the_run_is_finished_when_it_exits(run_example):
    run = run_example("transformers_train.py", "--steps", "4")
    assert run.status == "finished"
    assert {"train.csv", "eval.csv", "training_args.json", "model_config.json"} <= set(run.list_artifacts())
