"""What a run could not send stays in the spool, and sync() sends it later, safely and in order."""

import json

from lab_workbook_writer import new_experiment, pending_uploads, sync


def _run_that_ends_during_an_outage(store, outage):
    wb = new_experiment(store.prefix, max_retry_seconds=0.2, capture_environment=False)
    log = wb.new_time_series_log("Training loss", ["step"], save_every=5, flush_seconds=0.1)
    for step in range(20):
        log(step=step)
    assert wb.flush(timeout=10)  # some segments are in the store
    outage.stop()
    for step in range(20, 40):
        log(step=step)
    wb.save_json("parameters", {"lr": 0.1})
    wb.save_json("parameters", {"lr": 0.2})
    assert wb.close(timeout=0.5) is False
    return wb


def test_closing_with_the_store_down_names_the_command_that_sends_the_rest(store, outage, capsys):
    wb = _run_that_ends_during_an_outage(store, outage)
    err = capsys.readouterr().err
    assert f"experiment {wb.tag}" in err and "Send them later with: lab-workbook sync" in err
    outage.start()


def test_pending_uploads_lists_what_waits_in_the_spool(store, outage):
    wb = _run_that_ends_during_an_outage(store, outage)
    pending = pending_uploads()
    assert {p.key for p in pending} == {
        f"{wb.tag}/Training loss.csv",
        f"{wb.tag}/parameters.json",
        f"{wb.tag}/.lab-workbook/run.json",
    }
    assert all(p.tag == wb.tag and p.size > 0 and p.prefix.startswith(("s3://", "file://")) for p in pending)
    outage.start()


def test_sync_sends_everything_in_order_once_the_store_is_back(store, outage):
    wb = _run_that_ends_during_an_outage(store, outage)
    outage.start()
    sent = []
    report = sync(progress=sent.append)
    assert (report.failed, report.remaining) == ([], 0)
    assert report.bytes_sent == sum(sent) > 0
    assert [int(r["step"]) for r in store.rows(wb.tag, "Training loss.csv")] == list(range(40))
    assert json.loads(store.bytes(wb.tag, "parameters.json")) == {"lr": 0.2}  # the last save won
    assert store.record(wb.tag)["status"] == "finished"
    assert not [k for k in store.keys(wb.tag) if "/segments/" in k]  # deleted after the final CSV
    assert pending_uploads() == []


def test_sync_is_safe_to_run_twice(store, outage):
    _run_that_ends_during_an_outage(store, outage)
    outage.start()
    first = sync()
    second = sync()
    assert first.sent > 0 and (second.sent, second.failed, second.remaining) == (0, [], 0)


def test_sync_while_the_store_is_still_down_keeps_everything_for_next_time(store, outage):
    wb = _run_that_ends_during_an_outage(store, outage)
    report = sync()
    assert report.failed and report.remaining > 0 and report.sent == 0
    outage.start()
    assert sync().remaining == 0
    assert store.record(wb.tag)["status"] == "finished"


def test_sync_leaves_a_running_experiment_to_its_own_writer(store, outage):
    wb = new_experiment(store.prefix, max_retry_seconds=0.2, capture_environment=False)
    outage.stop()
    wb.save_json("parameters", {"lr": 0.1})
    report = sync()
    assert (report.sent, report.remaining) == (0, 1)
    outage.start()
    assert wb.close(timeout=20) is True
    assert pending_uploads() == []


def test_sync_of_an_empty_spool_does_nothing(tmp_path):
    report = sync(tmp_path / "no-spool-here")
    assert (report.sent, report.bytes_sent, report.failed, report.remaining) == (0, 0, [], 0)


def test_a_run_that_sent_everything_leaves_nothing_in_the_spool(store, isolated_home):
    with new_experiment(store.prefix) as wb:
        wb.save_json("parameters", {"lr": 0.1})
        wb.new_time_series_log("s", ["a"])(a=1)
    assert list((isolated_home / "spool").iterdir()) == []


def test_sync_with_a_prefix_sends_only_what_is_bound_for_that_store(store, outage, tmp_path):
    wb = _run_that_ends_during_an_outage(store, outage)
    outage.start()
    other = str(tmp_path / "another-store") + "/"
    assert pending_uploads(prefix=other) == []
    assert sync(prefix=other).sent == 0
    assert {p.tag for p in pending_uploads(prefix=store.prefix)} == {wb.tag}
    report = sync(prefix=store.prefix)
    assert report.sent > 0 and (report.failed, report.remaining) == ([], 0)
    assert pending_uploads() == []
