"""``flush()`` is bounded by what it can achieve (issue 21), through the fault proxy in front of moto.

A training loop that flushes every epoch must not stall while the store is down: ``flush()``
returns ``False`` as soon as the store is known unreachable, not after its timeout. A run whose
tag turned out to be taken in the store (it started offline, another run claimed the tag) can
never be sent under that tag: ``flush()``, ``close()`` and the interpreter's exit say so at once.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import boto3
from lab_workbook_core.keys import run_record_key
from lab_workbook_writer import new_experiment

EPOCHS = 6
EPOCH_SECONDS = 0.5  # the "training" of one epoch


def _train(prefix: str) -> float:
    """Seconds a loop of EPOCHS epochs takes that logs rows and calls ``wb.flush()`` after each."""
    wb = new_experiment(prefix, close_timeout=0.5, capture_environment=False)
    log = wb.new_time_series_log("loss", ["epoch", "step", "loss"])
    started = time.monotonic()
    for epoch in range(EPOCHS):
        for step in range(100):
            log(epoch=epoch, step=step, loss=1.0 / (step + 1))
        time.sleep(EPOCH_SECONDS)
        wb.flush()
    took = time.monotonic() - started
    wb.close()
    return took


def _take(s3_server, prefix: str, tag: str) -> bytes:
    """Another run claims ``tag`` in the store (directly on moto); its record's bytes."""
    bucket, base = prefix[5:].split("/", 1)
    theirs = b'{"status": "finished", "tag": "%s"}' % tag.encode()
    boto3.client("s3", endpoint_url=s3_server.url).put_object(
        Bucket=bucket, Key=base + run_record_key(tag), Body=theirs
    )
    return theirs


def test_a_loop_flushing_every_epoch_with_the_store_down_runs_within_twice_its_time_with_it_up(
    fault_proxy, quirk_prefix
):
    up = _train(quirk_prefix)
    fault_proxy.down()
    down = _train(quirk_prefix)
    assert down < 2 * up, f"{EPOCHS} epochs took {down:.1f} s with the store down, {up:.1f} s with it up"


def test_flush_returns_false_at_once_when_the_store_goes_down_mid_run(fault_proxy, quirk_prefix):
    wb = new_experiment(quirk_prefix, close_timeout=0.5, capture_environment=False)
    log = wb.new_time_series_log("loss", ["step"])
    log(step=0)
    assert wb.flush(timeout=20) is True
    fault_proxy.down()
    timings = []
    for step in range(1, 4):
        log(step=step)
        started = time.monotonic()
        assert wb.flush(timeout=60) is False
        timings.append(time.monotonic() - started)
    # the first flush waits for the request in flight to give up (boto3's own retries); later ones
    # learn from one single-attempt retry that the store is still down
    assert timings[0] < 10 and max(timings[1:]) < 1.0, timings
    wb.close()


def test_on_a_black_holed_store_a_flush_costs_one_short_attempt(fault_proxy, quirk_prefix):
    fault_proxy.faults.blackhole = True  # connections are accepted, requests never answered
    wb = new_experiment(quirk_prefix, close_timeout=0.5, capture_environment=False)  # starts offline
    wb.new_time_series_log("loss", ["step"])(step=0)
    started = time.monotonic()
    assert wb.flush(timeout=60) is False
    assert time.monotonic() - started < 5 + 5  # 5 s for an answer (documented), room for a loaded machine
    wb.close()


def test_a_run_started_offline_whose_tag_is_taken_flushes_and_closes_at_once_saying_why(
    fault_proxy, quirk_prefix, s3_server, capsys
):
    fault_proxy.down()
    wb = new_experiment(quirk_prefix, tag="baseline", close_timeout=60, capture_environment=False)
    wb.new_time_series_log("loss", ["step"])(step=0)
    theirs = _take(s3_server, quirk_prefix, "baseline")
    fault_proxy.up()
    started = time.monotonic()
    assert wb.flush(timeout=None) is False
    assert "claimed tag baseline" in (wb.stranded or "")
    assert wb.close() is False
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err
    assert "taken there by another run" in err and "lab-workbook sync --retag baseline" in err
    assert "within 60 s" not in err  # not "did not reach the store in time": it never could
    bucket, base = quirk_prefix[5:].split("/", 1)
    record = boto3.client("s3", endpoint_url=s3_server.url).get_object(
        Bucket=bucket, Key=base + run_record_key("baseline")
    )
    assert record["Body"].read() == theirs  # the other run is intact


SCRIPT = textwrap.dedent(
    """
    import sys
    from lab_workbook_writer import new_experiment

    wb = new_experiment(sys.argv[1], tag="baseline")  # close_timeout: the default 60 s
    log = wb.new_time_series_log("loss", ["step"])
    print("started", flush=True)
    sys.stdin.readline()  # the test lets another run take the tag and brings the store back
    for step in range(100):
        log(step=step)
    print("last line", flush=True)
    """
)


def test_the_interpreter_exits_within_seconds_when_the_offline_tag_is_taken(fault_proxy, quirk_prefix, s3_server):
    fault_proxy.down()
    child = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, quirk_prefix],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ""
        while child.poll() is None and line.strip() != "started":
            line = child.stdout.readline()
        assert line.strip() == "started", child.stderr.read()
        _take(s3_server, quirk_prefix, "baseline")
        fault_proxy.up()
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "last line"
        last_line = time.monotonic()
        _, stderr = child.communicate(timeout=120)
        took = time.monotonic() - last_line
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, stderr
    assert took < 15, f"exit took {took:.1f} s after the last line"
    assert "taken there by another run" in stderr and "--retag baseline" in stderr
