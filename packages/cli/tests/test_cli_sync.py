"""``lab-workbook sync``: sends what a writer left in the spool after an outage; safe twice."""

import json
import signal
import subprocess
import sys

from lab_workbook import ExperimentRepository
from lab_workbook_cli import app
from lab_workbook_writer import new_experiment
from lab_workbook_writer._spool import ExperimentSpool
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


# -- a run stranded in the spool: its tag is taken in the store by another run ------------------

KILLED_SCRIPT = """
import os, signal, sys
from lab_workbook_writer import new_experiment

wb = new_experiment(sys.argv[1], tag="baseline", capture_environment=False)
wb.save_json("parameters", {"learningRate": 0.5})
log = wb.new_time_series_log("Training loss", ["epoch", "loss"])
for epoch in range(5):
    log(epoch=epoch, loss=1.0 / (epoch + 1))
wb.flush(timeout=5)  # every row on the spool's disk; the store is down
os.kill(os.getpid(), signal.SIGKILL)
"""


def _take_baseline(s3_prefix):
    """Another run claims tag ``baseline`` in the store (a finished run with its own parameters)."""
    other = new_experiment(prefix=s3_prefix, tag="baseline", capture_environment=False)
    other.save_json("parameters", {"learningRate": 0.1})
    assert other.close(timeout=20)


@pytest.fixture
def stranded_run(quirk_prefix, fault_proxy, s3_server, monkeypatch):
    """A run started offline as ``baseline``, closed after another run took that tag: stranded in the spool.

    The run's store is the fault proxy, down while the other run is made straight on moto.
    """
    fault_proxy.down()
    wb = new_experiment(prefix=quirk_prefix, tag="baseline", close_timeout=30, capture_environment=False)
    wb.save_json("parameters", {"learningRate": 0.5})
    log = wb.new_time_series_log("Training loss", ["epoch", "loss"])
    for epoch in range(3):
        log(epoch=epoch, loss=1.0 / (epoch + 1))
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.url)
    _take_baseline(quirk_prefix)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", fault_proxy.url)
    fault_proxy.up()
    assert wb.close() is False  # at once: the tag is taken
    return quirk_prefix


def test_sync_explains_a_stranded_run_and_how_to_send_or_delete_it(runner, stranded_run):
    s3_prefix = stranded_run
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 0, result.output
    assert "run baseline is not sent" in result.stderr
    assert "--retag baseline" in result.stderr and "--discard baseline" in result.stderr
    assert ExperimentRepository(s3_prefix, cache=False)["baseline"]["parameters.json"] == {"learningRate": 0.1}
    again = runner.invoke(app, ["sync", "--json"])  # still waiting for the choice: not an error
    assert again.exit_code == 0 and json.loads(again.stdout)["stranded"][0]["tag"] == "baseline"


def test_sync_retag_sends_a_stranded_run_under_a_fresh_tag_intact(runner, stranded_run):
    s3_prefix = stranded_run
    result = runner.invoke(app, ["sync", "--retag", "baseline", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    ((moved,),) = [[r["new_tag"] for r in report["retagged"]]]
    assert moved != "baseline" and report["failed"] == [] and report["stranded"] == []
    repo = ExperimentRepository(s3_prefix, cache=False)
    exp = repo[moved]
    assert exp["parameters.json"] == {"learningRate": 0.5}
    assert list(exp["Training loss.csv"]["loss"]) == [1.0, 0.5, 1.0 / 3]
    assert (exp.info["tag"], exp.status) == (moved, "finished")
    assert repo["baseline"]["parameters.json"] == {"learningRate": 0.1}  # the other run is untouched
    assert runner.invoke(app, ["sync", "--dry-run", "--json"]).stdout.count('"key"') == 0  # spool empty


def test_sync_retag_as_sends_it_under_the_tag_given(runner, stranded_run):
    s3_prefix = stranded_run
    result = runner.invoke(app, ["sync", "--retag", "baseline", "--as", "baseline-2"])
    assert result.exit_code == 0, result.output
    assert "run baseline is sent as baseline-2" in result.stdout
    exp = ExperimentRepository(s3_prefix, cache=False)["baseline-2"]
    assert exp["parameters.json"] == {"learningRate": 0.5} and exp.info["tag"] == "baseline-2"


def test_sync_retag_sends_the_rows_a_killed_run_left_under_a_new_tag(runner, s3_prefix, s3_server, tmp_path):
    s3_server.stop()
    try:
        script = tmp_path / "killed.py"
        script.write_text(KILLED_SCRIPT)
        child = subprocess.run([sys.executable, str(script), s3_prefix], capture_output=True, text=True, timeout=120)
    finally:
        s3_server.start()
    assert child.returncode == -signal.SIGKILL, child.stderr
    _take_baseline(s3_prefix)
    stranded = json.loads(runner.invoke(app, ["sync", "--json"]).stdout)["stranded"]
    assert [run["tag"] for run in stranded] == ["baseline"]
    result = runner.invoke(app, ["sync", "--retag", "baseline", "--json"])
    assert result.exit_code == 0, result.output
    (moved,) = [r["new_tag"] for r in json.loads(result.stdout)["retagged"]]
    exp = ExperimentRepository(s3_prefix, cache=False)[moved]
    assert exp["parameters.json"] == {"learningRate": 0.5}
    assert list(exp["Training loss.csv"].index) == [0, 1, 2, 3, 4]
    assert exp.info["tag"] == moved


def test_sync_retag_refuses_a_run_whose_tag_is_its_own(runner, stranded, s3_prefix):
    result = runner.invoke(app, ["sync", "--retag", stranded])
    assert result.exit_code == 1
    assert "is not stranded" in result.stderr
    assert runner.invoke(app, ["sync"]).exit_code == 0  # plain sync still sends it under its tag
    assert ExperimentRepository(s3_prefix, cache=False)[stranded]["parameters.json"] == {"learningRate": 0.1}


def test_sync_discard_deletes_the_stranded_run_after_confirmation(runner, stranded_run, isolated_home):
    declined = runner.invoke(app, ["sync", "--discard", "baseline"], input="n\n")
    assert declined.exit_code == 1 and "nothing deleted" in declined.stderr
    assert list((isolated_home / "spool").iterdir())
    result = runner.invoke(app, ["sync", "--discard", "baseline"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "deleted" in result.stdout
    assert not list((isolated_home / "spool").iterdir())
    assert "nothing to send" in runner.invoke(app, ["sync"]).stderr


def test_sync_discard_yes_deletes_without_asking(runner, stranded_run, isolated_home):
    result = runner.invoke(app, ["sync", "--discard", "baseline", "--yes", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["discarded"][0]["tag"] == "baseline"
    assert not list((isolated_home / "spool").iterdir())


def test_a_second_sync_while_another_sends_says_so(runner, stranded, isolated_home):
    (folder,) = (isolated_home / "spool").iterdir()
    other = ExperimentSpool(folder)
    assert other.try_lock("sync")  # another `lab-workbook sync` is sending this folder
    try:
        result = runner.invoke(app, ["sync", "--json"])
    finally:
        other.unlock()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["syncing"] > 0
    assert "another `lab-workbook sync`" in result.stderr
    assert "runs still going" not in result.stderr


def test_sync_retag_as_a_taken_tag_keeps_the_run_stranded_under_it(runner, stranded_run):
    result = runner.invoke(app, ["sync", "--retag", "baseline", "--as", "baseline", "--json"])
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)["stranded"]
    assert "new tag baseline is taken" in run["reason"]
    assert ExperimentRepository(stranded_run, cache=False)["baseline"]["parameters.json"] == {"learningRate": 0.1}
    fresh = runner.invoke(app, ["sync", "--retag", "baseline", "--json"])  # a second choice is still possible
    assert fresh.exit_code == 0 and json.loads(fresh.stdout)["stranded"] == []
