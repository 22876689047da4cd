"""transformers' own callback tests (tests/trainer/test_trainer_callback.py, transformers 5.25), ported
to LabWorkbookCallback: a reporter must be a callback like any other to the Trainer, and must leave the
training it records exactly as it was.

Each test names the upstream test it keeps, in our words, on a tiny BERT (upstream uses a regression
model of its test utilities, not installed with transformers). The upstream tests that contradict a
design choice are listed, with the reason, in docs/integrations.md ("transformers' callback tests").
"""

import importlib.util
from pathlib import Path
from unittest import mock

from lab_workbook import ExperimentRepository
from lab_workbook_writer.transformers import LabWorkbookCallback
import pytest

pytest.importorskip("transformers", reason="transformers needs torch, installed on Python 3.11 only (hatch.toml)")
import torch
import transformers
from transformers.trainer_callback import CallbackHandler, TrainerControl

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("transformers_train", ROOT / "examples" / "transformers_train.py")
_example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_example)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No download, and a callback made without arguments (by class) records into this test's store."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("LAB_WORKBOOK_PREFIX", str(tmp_path / "store"))
    monkeypatch.setenv("LAB_WORKBOOK_SPOOL_DIR", str(tmp_path / "spool"))


def _trainer(tmp_path, callbacks, **options):
    settings = {
        "output_dir": str(tmp_path / "out"),
        "per_device_train_batch_size": 8,
        "per_device_eval_batch_size": 8,
        "report_to": [],
        "use_cpu": True,
        "disable_tqdm": True,
        "save_strategy": "no",
        **options,
    }
    torch.manual_seed(0)
    return transformers.Trainer(
        model=transformers.BertForSequenceClassification(_example.tiny_bert_config(1)),
        args=transformers.TrainingArguments(**settings),
        train_dataset=_example.Synthetic(32, 0),
        eval_dataset=_example.Synthetic(16, 1),
        callbacks=callbacks,
    )


def _only_run(tmp_path):
    repository = ExperimentRepository(str(tmp_path / "store"))
    (tag,) = repository.tags()
    return repository[tag]


def _ours(trainer):
    return [c for c in trainer.callback_handler.callbacks if isinstance(c, LabWorkbookCallback)]


class Events(transformers.TrainerCallback):
    """Every event the Trainer sends, in order (upstream's EventRecorderCallback)."""

    def __init__(self):
        self.events = []

    def __getattribute__(self, name):
        if name.startswith("on_"):
            return lambda *args, **kwargs: self.events.append(name)
        return super().__getattribute__(name)


# -- registration (upstream: TrainerCallbackTest, "Callback Registration Tests") --------------------


def test_a_callback_given_at_init_joins_the_default_callbacks(tmp_path):
    """Keeps test_custom_callback_added_at_init and test_printer_callback_when_tqdm_disabled."""
    callback = LabWorkbookCallback()
    names = sorted(type(c).__name__ for c in _trainer(tmp_path, [callback]).callback_handler.callbacks)
    assert names == ["DefaultFlowCallback", "LabWorkbookCallback", "PrinterCallback"]


def test_adding_the_callback_by_class_makes_one(tmp_path):
    """Keeps test_add_callback_by_class."""
    trainer = _trainer(tmp_path, None)
    before = len(trainer.callback_handler.callbacks)
    trainer.add_callback(LabWorkbookCallback)
    assert len(trainer.callback_handler.callbacks) == before + 1 and len(_ours(trainer)) == 1


def test_adding_the_callback_by_instance_adds_that_instance(tmp_path):
    """Keeps test_add_callback_by_instance."""
    trainer, callback = _trainer(tmp_path, None), LabWorkbookCallback()
    trainer.add_callback(callback)
    assert _ours(trainer) == [callback]


def test_removing_the_callback_by_class_or_instance(tmp_path):
    """Keeps test_remove_callback_by_class and test_remove_callback_by_instance."""
    callback = LabWorkbookCallback()
    trainer = _trainer(tmp_path, [callback])
    trainer.remove_callback(LabWorkbookCallback)
    assert _ours(trainer) == []
    trainer.add_callback(callback)
    trainer.remove_callback(callback)
    assert _ours(trainer) == []


def test_popping_the_callback_returns_the_instance(tmp_path):
    """Keeps test_pop_callback_returns_instance."""
    callback = LabWorkbookCallback()
    trainer = _trainer(tmp_path, [callback])
    assert trainer.pop_callback(LabWorkbookCallback) is callback and _ours(trainer) == []


def test_two_instances_are_warned_about_by_name(tmp_path):
    """Keeps test_duplicate_callback_warning (with instances: see docs/integrations.md for classes)."""
    with mock.patch.object(transformers.trainer_callback.logger, "warning") as warning:
        _trainer(tmp_path, [LabWorkbookCallback(), LabWorkbookCallback()])
    assert warning.called and "LabWorkbookCallback" in warning.call_args[0][0]


# -- the event flow (upstream: "Event Flow Tests", "Control Flow Tests") ----------------------------


def _expected_events(trainer):
    """The events of a train() with step-based logging, evaluation and saving, in order (as upstream computes)."""
    args, state = trainer.args, trainer.state
    evaluation = ["on_prediction_step"] * len(trainer.get_eval_dataloader()) + ["on_log", "on_evaluate"]
    events, step = ["on_init_end", "on_train_begin"], 0
    for _ in range(int(state.num_train_epochs)):
        events.append("on_epoch_begin")
        for _ in range(len(trainer.get_train_dataloader())):
            step += 1
            events += ["on_step_begin", "on_pre_optimizer_step", "on_optimizer_step", "on_step_end"]
            if step % args.logging_steps == 0:
                events.append("on_log")
            if step % args.eval_steps == 0:
                events += evaluation
            elif step == state.max_steps:
                events += evaluation  # the end of training evaluates once more
            if step % args.save_steps == 0 or step == state.max_steps:
                events.append("on_save")
        events.append("on_epoch_end")
    return [*events, "on_log", "on_train_end"]


def test_the_trainer_sends_the_same_events_with_the_callback_recording(tmp_path):
    """Keeps test_event_flow (its "bit of everything" configuration), and checks what was recorded."""
    events = Events()
    options = {"num_train_epochs": 2, "logging_steps": 3, "eval_steps": 5, "eval_strategy": "steps", "save_steps": 3}
    trainer = _trainer(tmp_path, [LabWorkbookCallback(save_checkpoints=True), events], save_strategy="steps", **options)
    trainer.train()
    assert events.events == _expected_events(trainer)
    run = _only_run(tmp_path)
    train = run["train.csv"]
    assert train[train["loss"].notna()].index.tolist() == [3, 6]
    assert run["eval.csv"].index.tolist() == [5, 8]
    assert run.checkpoints("checkpoints").step.tolist() == [3, 6, 8]


def test_another_callback_can_stop_the_training_it_records(tmp_path):
    """Keeps test_callback_can_stop_training: the run ends finished at the step training stopped."""

    class StopAfterOneStep(transformers.TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            control.should_training_stop = True
            return control

    trainer = _trainer(tmp_path, [LabWorkbookCallback(), StopAfterOneStep()], max_steps=10, logging_steps=1)
    trainer.train()
    assert trainer.state.global_step == 1
    run = _only_run(tmp_path)
    assert run.status == "finished" and set(run["train.csv"].index) == {1}


def test_the_callback_leaves_the_control_flags_as_they_were(tmp_path):
    """Keeps test_callback_receives_control_flags: a reporter never steers training."""

    class Flags(transformers.TrainerCallback):
        def __init__(self):
            self.seen = []

        def on_step_end(self, args, state, control, **kwargs):
            self.seen.append((state.global_step, control.should_log, control.should_save, control.should_evaluate))

    options = {"max_steps": 4, "logging_steps": 2, "eval_strategy": "steps", "eval_steps": 2}
    alone, recorded = Flags(), Flags()
    _trainer(tmp_path / "a", [alone], **options).train()
    _trainer(tmp_path / "b", [LabWorkbookCallback(), recorded], **options).train()
    assert recorded.seen == alone.seen and len(recorded.seen) == 4


def test_a_push_event_after_training_records_nothing(tmp_path):
    """Keeps test_on_push_begin_event: the callback takes the event and the finished run is unchanged."""
    callback = LabWorkbookCallback()
    trainer = _trainer(tmp_path, [callback], max_steps=1)
    trainer.train()
    before = _only_run(tmp_path).list_artifacts()
    trainer.callback_handler.on_push_begin(trainer.args, trainer.state, trainer.control)
    assert _only_run(tmp_path).list_artifacts() == before


def test_an_epoch_save_strategy_stores_one_checkpoint_per_epoch(tmp_path):
    """Keeps test_no_duplicate_save_on_epoch_strategy."""
    trainer = _trainer(tmp_path, [LabWorkbookCallback(save_checkpoints=True)], max_steps=2, save_strategy="epoch")
    trainer.train()
    assert _only_run(tmp_path).checkpoints("checkpoints").step.tolist() == [2]


# -- resuming (upstream: StatefulCallbackTest) ------------------------------------------------------


def test_stateful_callbacks_are_restored_beside_it_and_the_resumed_training_is_one_run(tmp_path):
    """Keeps test_mixed_stateful_and_regular_callbacks: ours is a regular callback; its run is named by tag."""
    options = {
        "load_best_model_at_end": True,
        "save_strategy": "steps",
        "eval_strategy": "steps",
        "save_steps": 2,
        "eval_steps": 2,
        "max_steps": 2,
        "logging_steps": 1,
    }
    first = LabWorkbookCallback(tag="stateful", resume="auto", keep_open=True)
    stopping = transformers.EarlyStoppingCallback(early_stopping_patience=5, early_stopping_threshold=0.2)
    _trainer(tmp_path, [first, stopping], **options).train()
    first.experiment.note_outcome("interrupted", {"type": "Preempted", "message": "the job was requeued"})
    first.close()
    resumed = _trainer(
        tmp_path,
        [transformers.EarlyStoppingCallback(), LabWorkbookCallback(tag="stateful", resume="auto")],
        restore_callback_states_from_checkpoint=True,
        **{**options, "max_steps": 4},
    )
    resumed.train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-2"))
    (restored,) = [c for c in resumed.callback_handler.callbacks if isinstance(c, transformers.EarlyStoppingCallback)]
    assert restored.early_stopping_patience == 5
    run = _only_run(tmp_path)
    assert [a.status for a in run.attempts] == ["interrupted", "finished"]
    train = run["train.csv"]
    assert train[train["loss"].notna()].index.tolist() == [1, 2, 3, 4]


# -- the callback handler (upstream: CallbackHandlerTest) --------------------------------------------


def test_the_handler_passes_the_model_that_the_run_is_set_up_from(tmp_path):
    """Keeps test_call_event_passes_kwargs: the model comes as a keyword, and its config is saved."""
    model = transformers.BertForSequenceClassification(_example.tiny_bert_config(1))
    callback = LabWorkbookCallback()
    handler = CallbackHandler([transformers.DefaultFlowCallback(), callback], model, None, None, None)
    args = transformers.TrainingArguments(output_dir=str(tmp_path / "out"), report_to=[], use_cpu=True)
    handler.call_event("on_log", args, transformers.TrainerState(), TrainerControl(), logs={"loss": 1.0})
    callback.close()
    run = _only_run(tmp_path)
    assert run["model_config.json"]["num_hidden_layers"] == 1 and run["train.csv"]["loss"].tolist() == [1.0]


def test_without_a_tag_each_callback_makes_a_fresh_run_and_with_one_it_resumes_that_run(tmp_path, monkeypatch):
    """Keeps SwanLabCallbackTest's two tests: no id nor resume unless asked, then the tag from the environment."""
    for _ in range(2):
        fresh = LabWorkbookCallback()
        fresh.experiment.close()
    assert len(ExperimentRepository(str(tmp_path / "store")).tags()) == 2
    monkeypatch.setenv("LAB_WORKBOOK_TAG", "from-the-job")
    named = LabWorkbookCallback(resume="auto")
    assert named.experiment.tag == "from-the-job"
    named.close()
