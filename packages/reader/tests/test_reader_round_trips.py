"""A cold load waits for as few round trips as it can: the record proves the run, the series' GET goes with it."""

from builders import attempt_entries
from lab_workbook import ExperimentNotFound
import pandas as pd
import pytest

TAG = "202601010000-tripsAAAAA"
CSV = "epoch,loss,Date\n1,0.5,2026-01-01T00:00:01Z\n2,0.25,2026-01-01T00:00:02Z\n"


def test_a_cold_run_is_found_by_its_record_without_a_listing(store):
    store.finished(TAG, {"loss.csv": CSV})
    wb = store.repository()
    frame = wb[TAG]["loss.csv"]
    assert list(frame["loss"]) == [0.5, 0.25]
    assert (wb.storage.requests["list"], wb.storage.requests["get"]) == (0, 2)  # the record, then the series


def test_a_run_with_a_damaged_record_is_still_found(store):
    store.put(TAG, ".lab-workbook/run.json", "{not json")
    store.put(TAG, "loss.csv", CSV)
    wb = store.repository()
    exp = wb[TAG]
    assert exp.status == "unreadable"
    assert list(exp["loss.csv"]["loss"]) == [0.5, 0.25]


def test_a_run_without_a_record_is_found_by_listing_its_folder(store):
    store.put(TAG, "loss.csv", CSV)  # the original tool wrote no record
    wb = store.repository()
    assert wb[TAG].status == "unknown"
    assert wb.storage.requests["list"] == 1


def test_a_missing_run_is_still_not_found_with_the_closest_tags(store):
    store.finished(TAG, {"loss.csv": CSV})
    wb = store.repository()
    with pytest.raises(ExperimentNotFound, match=f"Did you mean '{TAG}'"):
        wb[TAG[:-1] + "B"]
    with pytest.raises(ExperimentNotFound):
        wb[TAG[:-1] + "B"]  # not remembered as found


def test_a_series_fetched_with_its_record_is_kept_as_final_once_the_record_says_finished(store):
    store.finished(TAG, {"loss.csv": CSV})
    wb = store.repository()
    wb.tags()  # the tag is known from the listing: the load reads the record and the series at once
    first = wb[TAG]["loss.csv"]
    assert wb.storage.requests["get"] == 2
    again = store.repository()
    again.storage.requests.clear()
    pd.testing.assert_frame_equal(again[TAG]["loss.csv"], first)
    assert again.storage.requests["get"] == 0


def test_a_series_fetched_with_a_running_record_is_revalidated_next_time(s3_store):
    s3_store.record(TAG, "running")
    s3_store.put(TAG, "loss.csv", CSV)
    wb = s3_store.repository(refresh_seconds=0)
    wb.tags()
    assert len(wb[TAG]["loss.csv"]) == 2
    s3_store.put(TAG, "loss.csv", CSV + "3,0.125,2026-01-01T00:00:03Z\n")
    assert list(wb[TAG]["loss.csv"]["loss"]) == [0.5, 0.25, 0.125]


def test_a_resumed_running_run_reads_its_segments_though_its_older_csv_was_fetched_early(store):
    store.put(TAG, "loss.csv", CSV)  # the first attempt's final CSV, stale while attempt 2 runs
    store.segment(TAG, "loss.csv", 1, CSV)
    store.segment(TAG, "loss.csv", 2, "epoch,loss,Attempt,Date\n3,0.125,2,2026-01-02T00:00:03Z\n")
    store.record(TAG, "running", attempts=attempt_entries(["interrupted", "running"]))
    wb = store.repository()
    wb.tags()
    assert wb[TAG]["loss.csv"]["loss"].tolist() == [0.5, 0.25, 0.125]
