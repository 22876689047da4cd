"""A SIGKILLed run, once `lab-workbook sync` ran, reads back whole: every spooled row, and `crashed` when stale."""

from datetime import timedelta
import os
import signal
import subprocess
import sys
import textwrap

from lab_workbook import ExperimentRepository
from lab_workbook._records import status_of
from lab_workbook_core import load_config, open_storage
from lab_workbook_core.record import RunRecord
from lab_workbook_writer import sync
import pytest

SCRIPT = """
import time
from lab_workbook_writer import new_experiment
wb = new_experiment({prefix!r}, heartbeat_seconds=1)
log = wb.new_time_series_log("Training loss", ["step", "loss", "note"], save_every=1000, flush_seconds=60)
def rows(steps):
    for step in steps:
        log(step=step, loss=1.0 / (step + 1), note="line one\\nline two" if step % 10 == 0 else True)
rows(range(3_000))
time.sleep(1.5)  # uploaded as segments
rows(range(3_000, 3_500))
time.sleep(1.5)  # the ticker drains twice a second: on disk, not uploaded (fewer than save_every, younger than 60 s)
print("logged", flush=True)
time.sleep(60)
"""


@pytest.mark.slow
def test_a_killed_run_reads_back_with_every_spooled_row_after_sync(local_prefix, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT.format(prefix=local_prefix)))
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    tag = process.stdout.readline().strip().removeprefix("Experiment Tag: ")
    assert process.stdout.readline().strip() == "logged"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert sync().failed == []
    experiment = ExperimentRepository(local_prefix)[tag]
    frame = experiment["Training loss.csv"]
    assert list(frame.index) == list(range(3_500))  # the first field is the index
    assert frame["note"].iloc[0] == "line one\nline two"
    record = RunRecord.parse(open_storage(load_config(local_prefix)).get_bytes(f"{tag}/.lab-workbook/run.json"), tag)
    assert record.heartbeat_at is not None
    later = record.heartbeat_at + timedelta(seconds=91)
    assert experiment.status == "running" and status_of(record, now=later) == "crashed"
