"""A store outage never stops training nor loses a row; superseded saves are never sent."""

import json
import time

from lab_workbook_writer import new_experiment


def _wait_for(get, ok, timeout=20.0):
    """``get()`` once ``ok`` holds for it, or its last value after ``timeout`` seconds.

    A save whose upload attempt is in flight when a newer one supersedes it leaves the spool
    only when that attempt fails, which takes as long as boto3's own retries take here.
    """
    deadline = time.monotonic() + timeout
    while not ok(value := get()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


def test_every_row_logged_during_an_outage_arrives_after_it(store, outage):
    wb = new_experiment(store.prefix, max_retry_seconds=0.5)
    log = wb.new_time_series_log("Training loss", ["step", "loss"], save_every=10, flush_seconds=0.1)
    for step in range(50):
        log(step=step, loss=0.5)
    assert log.flush(timeout=10)
    outage.stop()
    for step in range(50, 150):
        log(step=step, loss=0.5)
        time.sleep(0.005)
    assert log.flush(timeout=0.5) is False  # the store is down: flush gives up, training goes on
    outage.start()
    assert wb.flush(timeout=20) is True
    assert wb.close() is True
    assert [int(r["step"]) for r in store.rows(wb.tag, "Training loss.csv")] == list(range(150))


def test_stderr_says_once_that_the_store_fails_and_once_that_it_is_back(store, outage, capsys):
    wb = new_experiment(store.prefix, max_retry_seconds=0.2)
    log = wb.new_time_series_log("s", ["step"], save_every=1, flush_seconds=0.05)
    outage.stop()
    err: list[str] = []
    deadline = time.monotonic() + 30  # however long boto3's own retries take to give up on this machine
    for step in range(10_000):
        log(step=step)
        time.sleep(0.02)
        err += capsys.readouterr().err.splitlines()
        if (step >= 40 and any("cannot upload" in line for line in err)) or time.monotonic() > deadline:
            break
    outage.start()
    assert wb.flush(timeout=20)
    wb.close()
    err += capsys.readouterr().err.splitlines()
    assert len([line for line in err if "cannot upload" in line and "training goes on" in line]) == 1
    assert len([line for line in err if "answers again" in line]) == 1


def test_saves_superseded_while_the_store_is_down_are_never_sent(store, outage, isolated_home):
    wb = new_experiment(store.prefix, max_retry_seconds=60, capture_environment=False)
    outage.stop()
    for version in range(20):
        wb.save_json("model", {"version": version, "weights": [version] * 50_000})
    spooled = _wait_for(lambda: list((isolated_home / "spool").glob("*/data/*.json")), lambda files: len(files) <= 1)
    puts_before = wb.storage.requests["put"]
    outage.start()
    assert wb.flush(timeout=20)
    assert wb.storage.requests["put"] - puts_before == 1
    assert len(spooled) == 1  # superseded versions were dropped from the spool too: disk stays bounded
    assert json.loads(store.bytes(wb.tag, "model.json"))["version"] == 19
    wb.close()


def test_the_last_save_of_a_name_wins_when_saving_faster_than_uploads(store):
    with new_experiment(store.prefix) as wb:
        for version in range(30):
            wb.save_json("model", {"version": version, "weights": [0.5] * 20_000})
    assert json.loads(store.bytes(wb.tag, "model.json"))["version"] == 29
    assert store.record(wb.tag)["artifacts"]["model.json"]["size"] == len(store.bytes(wb.tag, "model.json"))


def test_a_run_started_while_the_store_is_unreachable_is_recorded_when_it_answers(s3_prefix, s3_server, capsys):
    s3_server.stop()
    try:
        wb = new_experiment(s3_prefix, max_retry_seconds=0.2)
        log = wb.new_time_series_log("Training loss", ["step"], save_every=5, flush_seconds=0.1)
        for step in range(30):
            log(step=step)
        wb.save_json("parameters", {"lr": 0.1})
        assert wb.flush(timeout=0.5) is False
    finally:
        s3_server.start()
    assert "recording it locally" in capsys.readouterr().err
    assert wb.close(timeout=20) is True
    from lab_workbook_core import load_config, open_storage

    storage = open_storage(load_config(s3_prefix))
    record = json.loads(storage.get_bytes(f"{wb.tag}/.lab-workbook/run.json"))
    assert (record["tag"], record["status"]) == (wb.tag, "finished")
    rows = storage.get_bytes(f"{wb.tag}/Training loss.csv").decode().splitlines()
    assert [int(line.split(",")[0]) for line in rows[1:]] == list(range(30))
    assert json.loads(storage.get_bytes(f"{wb.tag}/parameters.json")) == {"lr": 0.1}
