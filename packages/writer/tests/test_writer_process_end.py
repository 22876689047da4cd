"""How a real training process ends is recorded, and no row is lost or torn: exit, exception, signals."""

import signal
import time

import pytest

pytestmark = pytest.mark.slow

TRAINING = """
import sys, time
from lab_workbook_writer import new_experiment
wb = new_experiment({prefix!r})
log = wb.new_time_series_log("Training loss", ["step", "loss"], save_every=20, flush_seconds=0.2)
step = 0
while {condition}:
    log(step=step, loss=1.0 / (step + 1))
    print(step, flush=True)
    step += 1
    time.sleep(0.001)
{after}
"""


def _start(run_script, prefix, condition="True", after="", before=""):
    return run_script(before + TRAINING.format(prefix=prefix, condition=condition, after=after))


def _read_until(process, predicate):
    """The tag, and the last step printed once ``predicate(step)`` held."""
    tag = process.stdout.readline().strip().removeprefix("Experiment Tag: ")
    for line in process.stdout:
        if predicate(int(line)):
            return tag, int(line)
    raise AssertionError(f"the script ended early: {process.communicate()}")


def _steps(rows):
    return [int(r["step"]) for r in rows]


def _interrupt(store, run_script, signum, at_step):
    """Send ``signum`` to the script once it has logged ``at_step``; the run must be recorded ``interrupted``
    with every row it printed, contiguous. The process, the run's tag and the script's stderr."""
    process = _start(run_script, store.prefix)
    tag, last = _read_until(process, lambda step: step >= at_step)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    last = max([last, *map(int, out.split())])
    assert store.record(tag)["status"] == "interrupted", err
    steps = _steps(store.rows(tag, "Training loss.csv"))
    assert steps == list(range(len(steps))) and len(steps) >= last + 1
    return process, tag, err


def test_sigterm_flushes_every_row_and_records_interrupted(store, run_script):
    process, tag, err = _interrupt(store, run_script, signal.SIGTERM, at_step=200)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert store.record(tag)["error"]["type"] == "SIGTERM"


def test_after_sigkill_the_uploaded_segments_are_complete_and_in_order(store, run_script):
    process = _start(run_script, store.prefix)
    tag, _ = _read_until(process, lambda step: step >= 100)
    deadline = time.monotonic() + 20
    while len(store.segments(tag, "Training loss.csv")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.kill()
    process.communicate(timeout=30)
    segments = store.segments(tag, "Training loss.csv")
    assert len(segments) >= 2
    steps = []
    for _, data in segments:
        steps += _steps(store.parse(data))  # each parses completely: no torn row, no torn file
    assert steps == list(range(len(steps)))
    assert store.record(tag)["status"] == "running"  # readers call it crashed once the heartbeat is stale


def test_ctrl_c_flushes_every_row_and_records_interrupted(store, run_script):
    _, _, err = _interrupt(store, run_script, signal.SIGINT, at_step=50)
    assert "KeyboardInterrupt" in err


def test_an_uncaught_exception_is_recorded_as_failed_and_the_rows_are_kept(store, run_script):
    process = _start(run_script, store.prefix, condition="step < 30", after="raise RuntimeError('diverged')")
    tag = process.stdout.readline().strip().removeprefix("Experiment Tag: ")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1 and "RuntimeError: diverged" in err
    record = store.record(tag)
    assert (record["status"], record["error"]) == ("failed", {"type": "RuntimeError", "message": "diverged"})
    assert _steps(store.rows(tag, "Training loss.csv")) == list(range(30))


def test_a_script_that_never_closes_is_closed_at_exit_as_finished(store, run_script):
    process = _start(run_script, store.prefix, condition="step < 30")
    tag = process.stdout.readline().strip().removeprefix("Experiment Tag: ")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert store.record(tag)["status"] == "finished"
    assert _steps(store.rows(tag, "Training loss.csv")) == list(range(30))
    assert not [k for k in store.keys(tag) if "/segments/" in k]


def test_a_sigterm_handler_installed_before_is_still_called(store, run_script):
    before = "import signal\nstop = []\nsignal.signal(signal.SIGTERM, lambda *a: stop.append(1))\n"
    process = _start(
        run_script, store.prefix, condition="not stop", after="print('graceful', flush=True)", before=before
    )
    tag, _ = _read_until(process, lambda step: step >= 50)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0 and out.strip().endswith("graceful"), err
    assert store.record(tag)["status"] == "interrupted"
