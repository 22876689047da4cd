"""A writer killed at any moment, with or without a store outage first, loses no row that reached its spool.

Each round starts a training script, SIGKILLs it at a random moment, then runs
``sync()`` as ``lab-workbook sync`` would: every row the spool's series file holds
must then be in the store's CSV, in order, with nothing torn, and the spool must
be empty. The default run does a few rounds per store; ``-m soak`` does 20.
"""

import csv
import io
import json
import random
import signal
import time

from lab_workbook_core import spool_dir
from lab_workbook_writer import pending_uploads, sync
import pytest

pytestmark = pytest.mark.slow

TRAINING = """
import time
from lab_workbook_writer import new_experiment
wb = new_experiment({prefix!r}, max_retry_seconds=0.2, heartbeat_seconds=1)
log = wb.new_time_series_log("Training loss", ["step", "loss", "phase"], save_every=50, flush_seconds=0.2)
wb.save_json("parameters", {{"lr": 0.1}})
step = 0
while True:
    log(step=step, loss=1.0 / (step + 1), phase="warm, up" if step % 7 else 'say "hi"\\nthen go')
    step += 1
    if step % 100 == 0:
        print(step, flush=True)
        time.sleep(0.002)
"""


def _rows_on_disk(tag):
    """The whole rows of the series file a killed writer left in its spool."""
    (path,) = spool_dir().glob(f"{tag}.*/series/*.csv")
    text = path.read_bytes().decode("utf-8", "replace")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if (rows and len(rows[-1]) != len(rows[0])) or not text.endswith("\r\n"):
        rows = rows[:-1]  # the kill tore the last write
    return [int(r[0]) for r in rows[1:]]


def _kill_at_random(run_script, store, outage, rng, with_outage):
    process = run_script(TRAINING.format(prefix=store.prefix))
    tag = process.stdout.readline().strip().removeprefix("Experiment Tag: ")
    assert process.stdout.readline().strip().isdigit(), process.communicate()
    time.sleep(rng.uniform(0.1, 1.0))
    if with_outage:
        outage.stop()
        time.sleep(rng.uniform(0.3, 1.5))
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    if with_outage:
        outage.start()
    return tag


def _check_round(store, tag):
    on_disk = _rows_on_disk(tag)
    assert {p.key for p in pending_uploads() if p.tag == tag} >= {f"{tag}/Training loss.csv"}
    report = sync()
    assert (report.failed, report.remaining) == ([], 0)
    stored = [int(r["step"]) for r in store.rows(tag, "Training loss.csv")]
    assert stored == on_disk == list(range(len(on_disk)))
    assert len(stored) > 0
    keys = store.keys(tag)
    assert not [k for k in keys if "/segments/" in k]  # the final CSV replaced them
    for key in keys:  # nothing torn
        data = store.bytes(tag, key)
        if key.endswith(".csv"):
            store.parse(data)
        elif key.endswith(".json"):
            json.loads(data)
        else:  # Environment.txt: plain text, whole lines
            assert data.endswith(b"\n"), key
    assert json.loads(store.bytes(tag, "parameters.json")) == {"lr": 0.1}
    record = store.record(tag)
    assert record["status"] == "running" and record["heartbeat"]  # readers say crashed once it is stale
    assert pending_uploads() == [] and not list(spool_dir().glob(f"{tag}.*"))


def _rounds(store, outage, run_script, count):
    rng = random.Random(count)
    for index in range(count):
        tag = _kill_at_random(run_script, store, outage, rng, with_outage=index % 2 == 1)
        _check_round(store, tag)


def test_sync_after_sigkill_sends_every_row_that_reached_the_spool(store, outage, run_script):
    _rounds(store, outage, run_script, 4)


@pytest.mark.soak
def test_sync_after_20_sigkills_sends_every_row_that_reached_the_spool(store, outage, run_script):
    _rounds(store, outage, run_script, 20)
