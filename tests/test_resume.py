"""A run resumed by new processes (issue 23): killed and restarted, raced, refused, forced.

Every writer here is a real child process, on the local store and on the S3 endpoint.
A training script resumes with ``resume="auto"`` from a checkpoint it wrote some steps
back (so attempts repeat steps); it prints each step whose row reached the spool (after
``drain()``), so the test knows which rows the store must end up with.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import random
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any

from lab_workbook import ExperimentRepository
from lab_workbook_core import load_config, open_storage
from lab_workbook_core.keys import attempt_claim_key, run_record_key
from lab_workbook_core.record import RunRecord
import pytest

STEPS = 2000

TRAIN = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from lab_workbook_writer import new_experiment

    prefix, tag, checkpoint = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    wb = new_experiment(prefix, tag=tag, resume="auto", heartbeat_seconds=1, capture_environment=False)
    start = int(checkpoint.read_text()) if checkpoint.exists() else 0
    log = wb.new_time_series_log("train", ["step", "loss"], flush_seconds=0.2)
    print("started", start, flush=True)
    for step in range(start, STEPS):
        log(step=step, loss=1.0 / (step + 1))
        if step % 10 == 9:
            if log.drain():
                print("spooled", step, flush=True)  # every row up to this step is in the spool
            checkpoint.with_suffix(".tmp").write_text(str(step - 4))  # the next attempt repeats the last 5 steps
            os.replace(checkpoint.with_suffix(".tmp"), checkpoint)
        time.sleep(0.004)
    print("closed", wb.close(), flush=True)
    """
).replace("STEPS", str(STEPS))


def _line(stream: Any, start: str) -> str:
    """The first line of ``stream`` starting with ``start`` (``Experiment Tag: ...`` comes first), or ``""``."""
    for line in stream:
        if line.startswith(start):
            return str(line.strip())
    return ""


def _record(prefix: str, tag: str) -> RunRecord:
    return RunRecord.parse(open_storage(load_config(prefix)).get_bytes(run_record_key(tag)), tag)


def _start(script: Path, prefix: str, tag: str, checkpoint: Path, spool: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "LAB_WORKBOOK_SPOOL_DIR": str(spool)}
    return subprocess.Popen(
        [sys.executable, str(script), prefix, tag, str(checkpoint)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.slow
def test_a_run_killed_five_times_and_resumed_is_one_finished_run_with_every_spooled_row_once_per_attempt(
    store_prefix, tmp_path
):
    script, checkpoint, spool = tmp_path / "train.py", tmp_path / "checkpoint", tmp_path / "spool"
    script.write_text(TRAIN)
    tag, chance = "job-7-4711", random.Random(23)
    spooled: list[list[int]] = []  # per process: the steps it printed as spooled
    starts: list[int] = []
    for kill in range(6):
        process = _start(script, store_prefix, tag, checkpoint, spool)
        assert process.stdout is not None
        first = _line(process.stdout, "started").split()
        assert first[:1] == ["started"], process.communicate(timeout=60)
        starts.append(int(first[1]))
        if kill < 5:
            time.sleep(chance.uniform(0.1, 0.6))
            process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=120)
        steps = [int(line.split()[1]) for line in out.splitlines() if line.startswith("spooled")]
        spooled.append(steps)
        if kill == 5:
            assert process.returncode == 0 and "closed True" in out, err
    record = _record(store_prefix, tag)
    assert record.status == "finished"
    attempts = [dict(entry) for entry in record.attempts or ()]
    assert [entry["attempt"] for entry in attempts] == list(range(1, 7))
    assert [entry["status"] for entry in attempts] == ["crashed"] * 5 + ["finished"]
    assert record.started == attempts[0]["started"]

    experiment = ExperimentRepository(store_prefix)[tag]
    every = experiment.load("train.csv", attempts="all")
    for number, (start, printed) in enumerate(zip(starts, spooled, strict=True), start=1):
        rows = every[every["Attempt"] == number]
        logged = list(rows.index if rows.index.name == "step" else rows["step"])
        assert logged == list(range(start, start + len(logged))), number  # each step once, in order
        assert set(printed) <= set(logged), number  # every row that reached the spool is stored
    assert logged[-1] == STEPS - 1
    frame = experiment["train.csv"]
    steps = list(frame.index if frame.index.name == "step" else frame["step"])
    assert steps == list(range(STEPS))  # the default frame: each step once
    keys = [o.key for o in open_storage(load_config(store_prefix)).list(f"{tag}/", delimiter=None).objects]
    assert not [key for key in keys if "/segments/" in key]  # the close deleted every attempt's segments


RESUMER = textwrap.dedent(
    """
    import json, os, sys, time
    from lab_workbook_core import AttemptTaken, RunBusy
    from lab_workbook_writer import new_experiment

    prefix, tag = sys.argv[1], sys.argv[2]
    print("ready", flush=True)
    sys.stdin.readline()  # both copies resume at the same signal
    try:
        wb = new_experiment(prefix, resume=tag, force=True, capture_environment=False)
    except (AttemptTaken, RunBusy) as err:  # RunBusy: it read the record once the other one had written it
        print(json.dumps({"pid": os.getpid(), "taken": f"{type(err).__name__}: {err}"}), flush=True)
        sys.exit(0)
    log = wb.new_time_series_log("train", ["step", "loss"])
    log(step=1, loss=0.5)
    time.sleep(2)  # the other copy reads the record while this one still runs
    print(json.dumps({"pid": os.getpid(), "closed": wb.close()}), flush=True)
    """
)


def _stopped_run(prefix: str, tag: str, spool: Path) -> None:
    """A run whose process was interrupted: its record says ``interrupted``."""
    code = (
        "import sys\nfrom lab_workbook_writer import new_experiment\n"
        f"wb = new_experiment({prefix!r}, tag={tag!r}, capture_environment=False)\n"
        "wb.new_time_series_log('train', ['step', 'loss'])(step=0, loss=1.0)\n"
        "raise KeyboardInterrupt\n"
    )
    env = {**os.environ, "LAB_WORKBOOK_SPOOL_DIR": str(spool)}
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_two_copies_resuming_one_run_at_once_leave_exactly_one_continuing(store_prefix, tmp_path):
    _resume_twice_at_once(store_prefix, tmp_path)


@pytest.mark.slow
def test_two_copies_resuming_at_once_on_a_store_ignoring_conditions_leave_exactly_one_continuing(
    fault_proxy, quirk_prefix, tmp_path
):
    """The claim is read back after the settle time (as tag claims are): the copy whose claim is not stored loses."""
    fault_proxy.faults.if_none_match = "ignore"
    _resume_twice_at_once(quirk_prefix, tmp_path)


def _resume_twice_at_once(store_prefix: str, tmp_path: Path) -> None:
    tag = "job-2-requeued"
    _stopped_run(store_prefix, tag, tmp_path / "spool")
    assert _record(store_prefix, tag).status == "interrupted"
    procs = []
    for index in range(2):
        env = {**os.environ, "LAB_WORKBOOK_SPOOL_DIR": str(tmp_path / f"spool-{index}")}
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", RESUMER, store_prefix, tag],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        )
    for proc in procs:
        assert proc.stdout is not None and _line(proc.stdout, "ready") == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    winners = [r for r in results if "closed" in r]
    losers = [r for r in results if "taken" in r]
    assert len(winners) == 1 and len(losers) == 1, results
    assert f"pid {winners[0]['pid']}" in losers[0]["taken"]  # the loser names the winner
    record = _record(store_prefix, tag)
    assert record.status == "finished" and record.pid == winners[0]["pid"]
    assert [entry["status"] for entry in record.attempts or ()] == ["interrupted", "finished"]
    claim = json.loads(open_storage(load_config(store_prefix)).get_bytes(attempt_claim_key(tag, 2)))
    assert claim["pid"] == winners[0]["pid"] and claim["nonce"] == record.nonce


REFUSED = textwrap.dedent(
    """
    import sys
    from lab_workbook_core import LabWorkbookError
    from lab_workbook_writer import new_experiment
    try:
        new_experiment(sys.argv[1], resume=sys.argv[2], capture_environment=False)
    except LabWorkbookError as err:
        print(type(err).__name__, err, flush=True)
        sys.exit(3)
    """
)


def _resume_in_child(prefix: str, tag: str, spool: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAB_WORKBOOK_SPOOL_DIR": str(spool)}
    return subprocess.run(
        [sys.executable, "-c", REFUSED, prefix, tag], env=env, capture_output=True, text=True, timeout=120
    )


def test_resuming_a_finished_run_is_refused_naming_fork(store_prefix, tmp_path):
    from lab_workbook_writer import new_experiment

    with new_experiment(store_prefix, tag="done", spool_dir=tmp_path / "spool", capture_environment=False) as wb:
        wb.new_time_series_log("train", ["step"])(step=0)
    result = _resume_in_child(store_prefix, "done", tmp_path / "spool")
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith("RunFinished") and "fork='done', step=N" in result.stdout
    assert _record(store_prefix, "done").attempts is None  # nothing was written


HOLDER = textwrap.dedent(
    """
    import socket, sys, time
    socket.gethostname = lambda: "gpu-node-7"  # the writer runs on another machine
    from lab_workbook_writer import new_experiment
    wb = new_experiment(sys.argv[1], tag=sys.argv[2], heartbeat_seconds=1, capture_environment=False)
    wb.new_time_series_log("train", ["step", "loss"])(step=0, loss=1.0)
    print("ready", wb.flush(), flush=True)
    time.sleep(120)
    """
)


def _holder(prefix: str, tag: str, spool: Path) -> subprocess.Popen[str]:
    """A writer of run ``tag`` on "another machine", alive until killed, its heartbeat fresh."""
    env = {**os.environ, "LAB_WORKBOOK_SPOOL_DIR": str(spool)}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, prefix, tag], stdout=subprocess.PIPE, text=True, env=env)
    assert holder.stdout is not None and _line(holder.stdout, "ready") == "ready True"
    return holder


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)


def test_resuming_a_run_whose_writer_is_alive_is_refused_naming_force(store_prefix, tmp_path):
    holder = _holder(store_prefix, "busy", tmp_path / "spool")
    try:
        result = _resume_in_child(store_prefix, "busy", tmp_path / "other-spool")
    finally:
        _kill(holder)
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith("RunBusy") and "if that process is gone, pass force=True" in result.stdout
    assert f"host gpu-node-7, pid {holder.pid}" in result.stdout
    assert _record(store_prefix, "busy").attempts is None  # nothing was written


def test_resume_with_force_continues_a_run_whose_heartbeat_is_fresh(store_prefix, tmp_path):
    # the writer's machine is reclaimed: its process is gone at once, its heartbeat is fresh for 90 s more
    _kill(_holder(store_prefix, "forced", tmp_path / "spool"))
    assert _resume_in_child(store_prefix, "forced", tmp_path / "other-spool").stdout.startswith("RunBusy")
    code = (
        "import sys\nfrom lab_workbook_writer import new_experiment\n"
        "wb = new_experiment(sys.argv[1], resume='forced', force=True, capture_environment=False)\n"
        "wb.new_time_series_log('train', ['step', 'loss'])(step=1, loss=0.5)\n"
        "print(wb.close())\n"
    )
    other = {**os.environ, "LAB_WORKBOOK_SPOOL_DIR": str(tmp_path / "other-spool")}
    result = subprocess.run(
        [sys.executable, "-c", code, store_prefix], env=other, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.splitlines()[-1:] == ["True"], result.stderr
    record = _record(store_prefix, "forced")
    assert record.status == "finished"
    assert [entry["status"] for entry in record.attempts or ()] == ["crashed", "finished"]
    frame = ExperimentRepository(store_prefix)["forced"].load("train.csv", attempts="all")
    assert list(frame["Attempt"]) == [1, 2]


def test_resume_auto_starts_the_run_when_its_tag_is_new(store_prefix, tmp_path, monkeypatch):
    from lab_workbook_writer import new_experiment

    monkeypatch.setenv("LAB_WORKBOOK_TAG", "fresh-1")
    with new_experiment(store_prefix, resume="auto", spool_dir=tmp_path / "spool", capture_environment=False) as wb:
        assert wb.tag == "fresh-1"
    record = _record(store_prefix, "fresh-1")
    assert record.status == "finished" and record.attempts is None  # one attempt: stored as any run
