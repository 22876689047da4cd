"""A run stranded in the spool (another run has its tag) is sent by retag() under a new tag, or discarded."""

import json

from lab_workbook_core import ExperimentNotFound, InvalidValueError
from lab_workbook_writer import discard, new_experiment, pending_uploads, retag, sync
from lab_workbook_writer._spool import ExperimentSpool
import pytest


def _stranded_after_claiming(store, outage, isolated_home):
    """A run that claimed its tag, then kept everything in the spool, which is then marked taken.

    This is what a writer leaves when it finds mid-run that another run took its tag: only the
    spool's marker says so, and there is no claim left to make in the spool.
    """
    wb = new_experiment(store.prefix, capture_environment=False)
    outage.stop()
    wb.save_json("parameters", {"lr": 0.5})
    log = wb.new_time_series_log("loss", ["step"])
    for step in range(10):
        log(step=step)
    assert wb.close(timeout=0.5) is False
    outage.start()
    (folder,) = (isolated_home / "spool").iterdir()
    ExperimentSpool(folder).mark_taken("another run took the tag mid-run")
    return wb.tag


def test_sync_never_sends_a_run_marked_taken(store, outage, isolated_home):
    tag = _stranded_after_claiming(store, outage, isolated_home)
    report = sync()
    assert report.sent == 0 and [run.reason for run in report.stranded] == ["another run took the tag mid-run"]
    assert store.record(tag)["status"] == "running"  # as the claim left it: nothing more was sent


def test_retag_sends_a_run_that_had_claimed_its_old_tag_under_the_new_one(store, outage, isolated_home):
    tag = _stranded_after_claiming(store, outage, isolated_home)
    report = retag(tag, "moved")
    assert report.retagged == [(tag, "moved")] and not report.failed and not report.stranded
    record = store.record("moved")
    assert (record["tag"], record["status"]) == ("moved", "finished")
    assert json.loads(store.bytes("moved", "parameters.json")) == {"lr": 0.5}
    assert [int(r["step"]) for r in store.rows("moved", "loss.csv")] == list(range(10))
    assert "parameters.json" not in store.keys(tag)  # the old tag got nothing more
    assert pending_uploads() == []


def test_retag_refuses_a_run_whose_tag_is_its_own(store, outage):
    wb = new_experiment(store.prefix, capture_environment=False)
    outage.stop()
    wb.save_json("parameters", {"lr": 0.5})
    assert wb.close(timeout=0.5) is False
    outage.start()
    with pytest.raises(InvalidValueError, match="is not stranded"):
        retag(wb.tag)
    assert not sync().failed


def test_discard_deletes_the_runs_spool_folder_and_an_unknown_tag_is_an_error(store, outage, isolated_home):
    tag = _stranded_after_claiming(store, outage, isolated_home)
    assert [run.tag for run in discard(tag, dry_run=True)] == [tag]
    assert list((isolated_home / "spool").iterdir())
    (gone,) = discard(tag)
    assert gone.reason == "another run took the tag mid-run" and not gone.spool.exists()
    with pytest.raises(ExperimentNotFound, match="no run tagged"):
        discard(tag)


def test_a_fresh_tag_from_retag_is_made_for_the_moment_the_run_started_not_for_now(store, outage, isolated_home):
    from lab_workbook_core.record import format_time, parse_time
    from lab_workbook_core.tags import tag_minute

    tag = _stranded_after_claiming(store, outage, isolated_home)
    started = parse_time("2020-01-02T03:04:05.250000Z")
    records = list((isolated_home / "spool").glob("*/**/*.run.json"))
    assert records
    for record in records:  # the run started years ago
        fields = json.loads(record.read_bytes())
        record.write_text(json.dumps({**fields, "started": format_time(started)}))
    (old, fresh), *_ = retag(tag).retagged
    assert old == tag and tag_minute(fresh) == started.replace(second=0, microsecond=0)
    assert store.record(fresh)["status"] == "finished"
