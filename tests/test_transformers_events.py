"""What LabWorkbookCallback records beyond train(): the end of the run, evaluate() and predict(),
checkpoints, search trials, and copies of a used callback (issues 23 and 27).

Real Trainers on a tiny BERT built from a config (examples/transformers_train.py), CPU, a few steps.
"""

import copy
import importlib.util
from pathlib import Path
import pickle

from lab_workbook import ExperimentRepository
from lab_workbook_writer.transformers import LabWorkbookCallback
import pytest

pytest.importorskip("transformers", reason="transformers needs torch, installed on Python 3.11 only (hatch.toml)")
import torch

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("transformers_train", ROOT / "examples" / "transformers_train.py")
_example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_example)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _trainer(tmp_path, callback, steps=4, **options):
    import transformers

    settings = {
        "output_dir": str(tmp_path / "out"),
        "max_steps": steps,
        "per_device_train_batch_size": 4,
        "per_device_eval_batch_size": 8,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": [],
        "use_cpu": True,
        "disable_tqdm": True,
        "seed": 0,
        **options,
    }
    torch.manual_seed(0)
    return transformers.Trainer(
        model=transformers.BertForSequenceClassification(_example.tiny_bert_config(1)),
        args=transformers.TrainingArguments(**settings),
        train_dataset=_example.Synthetic(32, 0),
        eval_dataset=_example.Synthetic(16, 1),
        callbacks=[callback],
    )


def _callback(tmp_path, **options):
    return LabWorkbookCallback(str(tmp_path / "store"), spool_dir=tmp_path / "spool", **options)


def _runs(tmp_path):
    repository = ExperimentRepository(str(tmp_path / "store"))
    return [repository[tag] for tag in repository.tags()]


# -- the end of train() (issue 23: a notebook's fit is not left running) --------------------------


def test_a_successful_train_closes_the_run_finished_without_waiting_for_exit(tmp_path):
    callback = _callback(tmp_path)
    _trainer(tmp_path, callback).train()
    assert callback.experiment.closed
    (run,) = _runs(tmp_path)
    assert run.status == "finished"  # read while this process, which made it, goes on
    train = run["train.csv"]
    assert train[train["loss"].notna()].index.tolist() == [1, 2, 3, 4]


def test_keep_open_records_a_following_evaluate_and_predict_in_the_training_run(tmp_path):
    callback = _callback(tmp_path, keep_open=True)
    trainer = _trainer(tmp_path, callback)
    trainer.train()
    assert not callback.experiment.closed
    trainer.evaluate(metric_key_prefix="test")
    trainer.predict(_example.Synthetic(8, 2), metric_key_prefix="holdout")
    assert callback.close()
    (run,) = _runs(tmp_path)
    assert run.status == "finished"
    assert run["test.csv"].index.tolist() == [4] and "test_loss" in run["test.csv"].columns
    assert run["holdout.csv"]["holdout_loss"].notna().all()


def test_an_evaluate_after_the_run_finished_is_a_new_run_forked_from_it(tmp_path, capsys):
    callback = _callback(tmp_path)
    trainer = _trainer(tmp_path, callback)
    trainer.train()
    trained = callback.experiment.tag
    trainer.evaluate()
    evaluated = callback.experiment.tag
    callback.close()
    assert evaluated != trained and "keep_open=True" in capsys.readouterr().err
    repository = ExperimentRepository(str(tmp_path / "store"))
    assert "eval.csv" not in repository[trained].list_artifacts()  # the finished run did not change
    fork = repository[evaluated]
    assert (fork.parent.tag, fork.parent.step) == (trained, 4)
    assert fork["eval.csv"].index.tolist() == [4] and fork["training_args.json"]["max_steps"] == 4


def test_a_train_after_one_that_raised_continues_its_run_as_the_next_attempt(tmp_path):
    class Exploding(_example.Synthetic):
        def __getitem__(self, index):
            raise ValueError("bad sample")

    callback = _callback(tmp_path)
    broken = _trainer(tmp_path, callback)
    broken.train_dataset = Exploding(32, 0)
    with pytest.raises(ValueError, match="bad sample"):
        broken.train()
    failed = callback.experiment
    _trainer(tmp_path, callback).train()
    assert failed.closed and callback.experiment is not failed and callback.experiment.tag == failed.tag
    (run,) = _runs(tmp_path)
    assert run.status == "finished"
    assert [(a.status, (a.error or {}).get("type")) for a in run.attempts] == [
        ("failed", "TrainingNotFinished"),
        ("finished", None),
    ]


def test_the_trainers_run_name_describes_a_run_made_without_a_description(tmp_path):
    _trainer(tmp_path, _callback(tmp_path), steps=1, run_name="bert lr 1e-3").train()
    _trainer(tmp_path, _callback(tmp_path, description="mine"), steps=1, run_name="ignored").train()
    assert sorted(run.description for run in _runs(tmp_path)) == ["bert lr 1e-3", "mine"]


# -- evaluate() and predict() (issue 27) ----------------------------------------------------------


def test_evaluate_with_the_test_prefix_lands_in_test_csv_not_train_csv(tmp_path):
    callback = _callback(tmp_path)
    trainer = _trainer(tmp_path, callback)
    trainer.evaluate(metric_key_prefix="test")
    trainer.evaluate()
    callback.close()
    (run,) = _runs(tmp_path)
    assert "train.csv" not in run.list_artifacts()
    assert {"test_loss", "test_runtime"} <= set(run["test.csv"].columns)
    assert {"eval_loss", "eval_runtime"} <= set(run["eval.csv"].columns)
    assert len(run["eval.csv"]) == 1  # on_log and on_evaluate report the same metrics: recorded once


def test_predict_metrics_are_recorded_in_test_csv(tmp_path):
    callback = _callback(tmp_path)
    trainer = _trainer(tmp_path, callback)
    output = trainer.predict(_example.Synthetic(8, 2))
    callback.close()
    (run,) = _runs(tmp_path)
    test = run["test.csv"]
    assert test["test_loss"].tolist() == pytest.approx([output.metrics["test_loss"]])


def test_an_evaluate_only_run_gets_the_training_arguments_and_model_config(tmp_path):
    callback = _callback(tmp_path)
    _trainer(tmp_path, callback).evaluate()
    callback.close()
    (run,) = _runs(tmp_path)
    assert run["training_args.json"]["max_steps"] == 4
    assert run["model_config.json"]["num_hidden_layers"] == 1


def test_metrics_logged_by_hand_go_by_name(tmp_path):
    callback = _callback(tmp_path)
    trainer = _trainer(tmp_path, callback)
    trainer.log({"test_f1": 0.5, "throughput": 3.0})
    callback.close()
    (run,) = _runs(tmp_path)
    assert run["test.csv"]["test_f1"].tolist() == [0.5] and run["train.csv"]["throughput"].tolist() == [3.0]


# -- checkpoints (issue 27) -------------------------------------------------------------------------


def test_checkpoints_saved_by_the_trainer_are_stored_by_step_with_its_save_total_limit(tmp_path):
    callback = _callback(tmp_path, save_checkpoints=True)
    _trainer(tmp_path, callback, steps=6, save_strategy="steps", save_steps=1, save_total_limit=2).train()
    (run,) = _runs(tmp_path)
    assert run.checkpoints("checkpoints").step.tolist() == [5, 6]
    trained = _trainer(tmp_path, LabWorkbookCallback(str(tmp_path / "other")), steps=6)
    trained.model.load_state_dict(run.load_checkpoint("checkpoints", step=6))  # the weights, loadable


def test_without_save_checkpoints_no_weights_are_stored(tmp_path):
    callback = _callback(tmp_path)
    _trainer(tmp_path, callback, steps=2, save_strategy="steps", save_steps=1).train()
    (run,) = _runs(tmp_path)
    assert run.checkpoints("checkpoints").empty


# -- hyperparameter search (issue 27: one run per trial, like W&B and TensorBoard) ------------------


def test_two_trainers_sharing_a_callback_one_after_the_other_record_two_runs(tmp_path):
    callback = _callback(tmp_path, description="sweep")
    tags = []
    for rate in (1e-3, 1e-4):
        _trainer(tmp_path, callback, learning_rate=rate).train()
        tags.append(callback.experiment.tag)
    runs = {run.tag: run for run in _runs(tmp_path)}
    assert sorted(runs) == sorted(tags) and len(set(tags)) == 2
    assert [runs[t]["training_args.json"]["learning_rate"] for t in tags] == [1e-3, 1e-4]
    assert all(runs[t].status == "finished" for t in tags)
    assert runs[tags[1]].parent.tag == tags[0] and runs[tags[1]].parent.step == 4  # where the first one ended


def test_hyperparameter_search_records_one_run_per_trial(tmp_path):
    pytest.importorskip("optuna")
    import transformers

    callback = _callback(tmp_path, description="search")
    trainer = _trainer(tmp_path, callback, steps=2)
    trainer.model = None
    trainer.model_init = lambda trial=None: transformers.BertForSequenceClassification(_example.tiny_bert_config(1))
    trainer.hyperparameter_search(
        hp_space=lambda trial: {"learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True)},
        backend="optuna",
        n_trials=2,
        direction="minimize",
    )
    callback.close()
    runs = _runs(tmp_path)
    assert len(runs) == 2 and all(run.status == "finished" for run in runs)
    trials = sorted((run["trial.json"]["name"], run.description) for run in runs)
    assert trials == [("1", "search, trial 1"), ("2", "search, trial 2")]
    assert all(set(run["trial.json"]["params"]) == {"learning_rate"} for run in runs)
    assert all("eval.csv" in run.list_artifacts() for run in runs)  # each trial's objective evaluation is its own
    rates = [run["training_args.json"]["learning_rate"] for run in runs]
    assert rates[0] != rates[1]


# -- copies (issue 27: TRL and SetFit copy callbacks, Ray Tune pickles the trainer) -----------------


def test_a_used_callback_can_be_pickled_and_deep_copied(tmp_path):
    callback = _callback(tmp_path, description="copied", save_model=True)
    trainer = _trainer(tmp_path, callback)
    trainer.train()
    for clone in (pickle.loads(pickle.dumps(callback)), copy.deepcopy(callback)):
        assert isinstance(clone, LabWorkbookCallback)
        _trainer(tmp_path, clone).train()
        assert clone.experiment.tag != callback.experiment.tag  # a run of its own
    runs = _runs(tmp_path)
    assert len(runs) == 3 and {run.description for run in runs} == {"copied"}
    assert all("model.pt" in run.list_artifacts() for run in runs)


def test_a_deep_copy_records_into_the_experiment_you_gave(tmp_path):
    from lab_workbook_writer import new_experiment

    experiment = new_experiment(str(tmp_path / "store"), spool_dir=tmp_path / "spool")
    callback = LabWorkbookCallback(experiment=experiment)
    _trainer(tmp_path, copy.deepcopy(callback), steps=2).train()
    assert not experiment.closed  # yours to close
    experiment.close()
    (run,) = _runs(tmp_path)
    train = run["train.csv"]
    assert train[train["loss"].notna()].index.tolist() == [1, 2]


def test_a_subclass_of_the_callback_is_a_trainer_callback_and_records_its_own_extras(tmp_path):
    import transformers

    class WithLearningRate(LabWorkbookCallback):
        """What a user adds: one more series of their own, beside the callback's."""

        seen = None

        def on_step_end(self, args, state, control, **kwargs):
            if self.seen is None:
                self.seen = self.experiment.new_time_series_log("seen", ["step"])
            self.seen(step=state.global_step)
            return super().on_step_end(args, state, control, **kwargs)

    callback = WithLearningRate(str(tmp_path / "store"), spool_dir=tmp_path / "spool")
    assert isinstance(callback, transformers.TrainerCallback)
    trainer = _trainer(tmp_path, callback)
    assert callback in trainer.callback_handler.callbacks  # taken as a callback, not refused or wrapped
    trainer.train()
    (run,) = _runs(tmp_path)
    assert run.status == "finished" and run["seen.csv"].index.tolist() == [1, 2, 3, 4]
    assert run["train.csv"]["loss"].notna().sum() == 4
