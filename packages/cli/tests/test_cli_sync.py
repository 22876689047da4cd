"""``lab-workbook sync``: sends what a writer left in the spool after an outage; safe twice."""

import json

from lab_workbook import ExperimentRepository
from lab_workbook_cli.app import app
from lab_workbook_writer import new_experiment
import pytest


@pytest.fixture
def stranded(s3_prefix, s3_server):
    """A run whose store went away before its data was sent: it waits in the spool."""
    wb = new_experiment(prefix=s3_prefix, close_timeout=0.5, max_retry_seconds=0.2)
    s3_server.stop()
    try:
        wb.save_json("parameters", {"learningRate": 0.1})
        log = wb.new_time_series_log("Training loss", ["epoch", "loss"])
        for epoch in range(3):
            log(epoch=epoch, loss=1.0 / (epoch + 1))
        wb.close(timeout=0.5)
    finally:
        s3_server.start()
    return wb.tag


def test_dry_run_lists_what_waits_and_sends_nothing(runner, stranded, s3_prefix):
    result = runner.invoke(app, ["sync", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    keys = [p["key"] for p in json.loads(result.stdout)["pending"]]
    assert f"{stranded}/parameters.json" in keys
    assert "parameters.json" not in ExperimentRepository(s3_prefix, cache=False)[stranded].list_artifacts()


def test_sync_sends_the_spooled_run(runner, stranded, s3_prefix):
    result = runner.invoke(app, ["sync", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sent"] > 0 and report["failed"] == [] and report["remaining"] == 0
    exp = ExperimentRepository(s3_prefix, cache=False)[stranded]
    assert exp["parameters.json"] == {"learningRate": 0.1}
    assert list(exp["Training loss.csv"]["loss"]) == [1.0, 0.5, 1.0 / 3]


def test_sync_twice_is_safe_and_the_second_has_nothing_to_send(runner, stranded):
    assert runner.invoke(app, ["sync"]).exit_code == 0
    second = runner.invoke(app, ["sync"])
    assert second.exit_code == 0
    assert "nothing to send" in second.stderr


def test_a_store_still_down_exits_1_and_keeps_the_data(runner, stranded, s3_server):
    s3_server.stop()
    try:
        result = runner.invoke(app, ["sync", "--json"])
    finally:
        s3_server.start()
    assert result.exit_code == 1
    assert json.loads(result.stdout)["failed"]
    assert json.loads(runner.invoke(app, ["sync", "--dry-run", "--json"]).stdout)["pending"]


def test_an_empty_spool_is_not_an_error(runner):
    result = runner.invoke(app, ["sync"])
    assert (result.exit_code, result.stdout) == (0, "")


def test_prefix_limits_sync_to_that_store(runner, stranded, s3_prefix, local_prefix):
    elsewhere = runner.invoke(app, ["sync", "--prefix", local_prefix, "--json"])
    assert elsewhere.exit_code == 0
    assert json.loads(elsewhere.stdout)["pending"] == []  # nothing is bound for that store
    assert json.loads(runner.invoke(app, ["sync", "--dry-run", "--json"]).stdout)["pending"]
    result = runner.invoke(app, ["sync", "--prefix", s3_prefix, "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["sent"] > 0
    assert ExperimentRepository(s3_prefix, cache=False)[stranded]["parameters.json"] == {"learningRate": 0.1}
