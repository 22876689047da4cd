"""A requeued Hugging Face job: ``train()`` SIGKILLed after a checkpoint, then run again with
``LabWorkbookCallback(tag=..., resume="auto")`` and ``trainer.train(resume_from_checkpoint=True)``.

Each attempt is a real child process running examples/transformers_train.py's Trainer. The first
one kills itself (SIGKILL: nothing of the writer runs after it) in the ``on_log`` of step 6, after
checkpoint-4 was written and after its rows reached the spool (as the writer's 5-second flush would
have sent them), so the second attempt repeats steps 5 and 6.
"""

import os
from pathlib import Path
import signal
import subprocess
import sys
import textwrap

from lab_workbook import ExperimentRepository
import pytest

pytest.importorskip("transformers", reason="transformers needs torch, installed on Python 3.11 only (hatch.toml)")

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import importlib.util, os, signal, sys
    import transformers
    from transformers.trainer_utils import get_last_checkpoint

    spec = importlib.util.spec_from_file_location("example", sys.argv[1])
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    prefix, output, tag, kill_at = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])


    class KillAfterLogging(transformers.TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.global_step == kill_at:
                recorder.experiment.flush(timeout=0)  # the rows reach the spool, as its timer would do
                os.kill(os.getpid(), signal.SIGKILL)


    trainer = example.build_trainer(output, prefix, steps=8, tag=tag, save_steps=2)
    (recorder,) = [c for c in trainer.callback_handler.callbacks if type(c).__name__ == "LabWorkbookCallback"]
    trainer.add_callback(KillAfterLogging())
    trainer.train(resume_from_checkpoint=get_last_checkpoint(output) is not None)
    """
)


def _attempt(tmp_path: Path, kill_at: int, prefix: str | None = None) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return subprocess.run(
        [
            sys.executable,
            str(script),
            str(ROOT / "examples" / "transformers_train.py"),
            prefix or str(tmp_path / "store"),
            str(tmp_path / "output"),
            "bert-job-17",
            str(kill_at),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "LAB_WORKBOOK_SPOOL_DIR": str(tmp_path / "spool"), "HF_HUB_OFFLINE": "1"},
    )


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """The run after a killed first attempt and a resumed second one (as the reader sees it)."""
    tmp_path = tmp_path_factory.mktemp("requeue")
    first = _attempt(tmp_path, kill_at=6)
    assert first.returncode == -signal.SIGKILL, first.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == ["checkpoint-2", "checkpoint-4"]
    second = _attempt(tmp_path, kill_at=-1)
    assert second.returncode == 0, second.stderr[-3000:]
    return ExperimentRepository(str(tmp_path / "store"))


def test_the_killed_and_resumed_training_is_one_finished_run(resumed):
    assert resumed.tags() == ["bert-job-17"]
    run = resumed["bert-job-17"]
    assert run.status == "finished"
    assert [(a.attempt, a.status) for a in run.attempts] == [(1, "crashed"), (2, "finished")]


def test_the_default_frame_has_each_step_once_from_its_latest_attempt(resumed):
    train = resumed["bert-job-17"]["train.csv"]
    losses = train[train["loss"].notna()]
    assert losses.index.tolist() == list(range(1, 9))
    every = resumed["bert-job-17"].load("train.csv", attempts="all")
    logged = every[every["loss"].notna()]
    first, second = (sorted(logged[logged["Attempt"] == n].index) for n in (1, 2))
    assert first == list(range(1, 7)) and second == [5, 6, 7, 8]  # steps 5 and 6 repeated from checkpoint-4
    repeated = logged.loc[[5, 6]]
    assert losses.loc[[5, 6], "loss"].tolist() == repeated[repeated["Attempt"] == 2]["loss"].tolist()


def test_evaluations_of_both_attempts_are_in_eval_csv(resumed):
    evaluation = resumed["bert-job-17"]["eval.csv"]
    assert evaluation.index.tolist() == [4, 8] and evaluation["eval_loss"].notna().all()


def test_checkpoints_of_both_attempts_are_stored_by_step(resumed):
    run = resumed["bert-job-17"]
    assert run.checkpoints("checkpoints").step.tolist() == [2, 4, 6, 8]
    weights = run.load_checkpoint("checkpoints")
    assert weights["classifier.weight"].shape == (2, 16)


def test_on_the_s3_endpoint_too_the_killed_and_resumed_training_is_one_run(s3_prefix, tmp_path):
    first = _attempt(tmp_path, kill_at=6, prefix=s3_prefix)
    assert first.returncode == -signal.SIGKILL, first.stderr[-3000:]
    second = _attempt(tmp_path, kill_at=-1, prefix=s3_prefix)
    assert second.returncode == 0, second.stderr[-3000:]
    run = ExperimentRepository(s3_prefix)["bert-job-17"]
    assert run.status == "finished" and [a.status for a in run.attempts] == ["crashed", "finished"]
    train = run["train.csv"]
    assert train[train["loss"].notna()].index.tolist() == list(range(1, 9))
    assert run.checkpoints("checkpoints").step.tolist() == [2, 4, 6, 8]
