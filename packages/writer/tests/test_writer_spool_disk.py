"""A spool disk that refuses writes (here a file-size limit, RLIMIT_FSIZE) is reported, never silently lossy."""

import json
import re

import pytest

# S3 only: a local store's final CSV is as large as the spool's file, so the limit would hit the store too.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("store_prefix", ["s3"], indirect=True)]

LIMITED = """
import resource
from lab_workbook_core import SpoolError
from lab_workbook_writer import new_experiment
LIMIT = 64 * 1024
resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))  # Python ignores SIGXFSZ: writes fail with EFBIG
wb = new_experiment({prefix!r})
log = wb.new_time_series_log("Training loss", ["step", "loss"], save_every=100, flush_seconds=0.2)
for step in range(10_000):
    log(step=step, loss=1.0 / (step + 1))
{saves}
print("close returned", wb.close(timeout=30), flush=True)
"""

SAVES = """
for save in (lambda: wb.save_json("big", list(range(50_000))),
             lambda: wb.save_torch("model", {"w": __import__("torch").zeros(100_000)})):
    try:
        save()
    except SpoolError as err:
        print("refused:", err, flush=True)
"""


def _run(run_script, prefix, saves=""):
    process = run_script(LIMITED.format(prefix=prefix, saves=saves))
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out.splitlines()[0].removeprefix("Experiment Tag: "), out, err


def test_rows_the_spool_refuses_are_reported_and_the_run_is_not_finished(store, run_script):
    tag, out, err = _run(run_script, store.prefix)
    assert "close returned False" in out
    assert "cannot write rows of series 'Training loss'" in err and "rows lost" in err
    record = store.record(tag)
    assert record["status"] == "failed" and record["error"]["type"] == "SpoolError"
    lost = int(re.search(r"([\d,]+) of series 'Training loss'", record["error"]["message"]).group(1).replace(",", ""))
    steps = [int(r["step"]) for r in store.rows(tag, "Training loss.csv")]
    assert steps == list(range(len(steps))) and len(steps) > 0  # what reached the disk, intact and in order
    assert len(steps) + lost == 10_000  # every other row is counted as lost: none vanished silently


def test_a_save_the_spool_refuses_raises_at_the_call_and_says_what_to_do(store, run_script, torch):
    tag, out, err = _run(run_script, store.prefix, saves=SAVES)
    refusals = [line for line in out.splitlines() if line.startswith("refused:")]
    assert len(refusals) == 2, (out, err)
    for line in refusals:
        assert "cannot write" in line and "LAB_WORKBOOK_SPOOL_DIR" in line
    assert "big.json" not in store.keys(tag) and "model.pt" not in store.keys(tag)
    assert json.loads(store.bytes(tag, ".lab-workbook/run.json"))["status"] == "failed"


PICTURES = """
import resource
import numpy as np
from lab_workbook_writer import new_experiment
LIMIT = 64 * 1024
resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
wb = new_experiment({prefix!r})
wb.save_image("small", np.zeros((8, 8, 3), dtype=np.uint8))
noise = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)  # ~190 KiB as PNG
wb.save_image("noise", noise, step=1)
print("close returned", wb.close(timeout=30), flush=True)
"""


def test_a_picture_the_spool_refuses_is_reported_and_the_run_is_not_finished(store, run_script):
    pytest.importorskip("PIL", reason="pictures need Pillow (the writer's images extra)")
    pytest.importorskip("numpy", reason="the pictures are numpy arrays")
    process = run_script(PICTURES.format(prefix=store.prefix))
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    tag = out.splitlines()[0].removeprefix("Experiment Tag: ")
    assert "close returned False" in out
    assert "LAB_WORKBOOK_SPOOL_DIR" in err  # the SpoolError's advice reaches stderr, not a bare OSError
    record = store.record(tag)
    assert record["status"] == "failed" and record["error"]["type"] == "SpoolError"
    assert "1 picture(s): 'noise/step-00000001.png'" in record["error"]["message"]
    assert "small.png" in store.keys(tag) and "noise/step-00000001.png" not in store.keys(tag)
