"""Experiments that are still going (or died without saying so) read correctly."""

from datetime import UTC, datetime, timedelta

from lab_workbook import CorruptArtifactError
import pytest

TAG = "202601010000-runningAAA"
HEADER = "epoch,loss,Date\n"


def _running(store, *, heartbeat_age=0.0):
    store.record(TAG, "running", heartbeat_age=heartbeat_age)
    store.segment(TAG, "Training loss.csv", 1, HEADER + "1,0.9,2026-01-01T00:00:01Z\n2,0.8,2026-01-01T00:00:02Z\n")
    store.segment(TAG, "Training loss.csv", 2, HEADER + "3,0.7,2026-01-01T00:00:03.5Z\n")
    store.segment(TAG, "Training loss.csv", 3, HEADER + "4,0.6,2026-01-01T00:00:04Z\n5,0.5,2026-01")


def test_a_series_in_segments_is_assembled_in_order_without_the_truncated_line(store):
    _running(store)
    frame = store.repository()[TAG]["Training loss.csv"]
    assert frame.index.tolist() == [1, 2, 3, 4]
    assert frame["loss"].tolist() == [0.9, 0.8, 0.7, 0.6]


def test_segments_are_ordered_by_number_not_upload_order(store):
    store.record(TAG, "running")
    store.segment(TAG, "loss.csv", 10, HEADER + "10,0.1,2026-01-01T00:00:10Z\n")
    store.segment(TAG, "loss.csv", 9, HEADER + "9,0.2,2026-01-01T00:00:09Z\n")
    assert store.repository()[TAG]["loss.csv"].index.tolist() == [9, 10]


def test_mixed_fractional_seconds_parse_as_utc(store):
    _running(store)
    dates = store.repository()[TAG]["Training loss.csv"]["Date"]
    assert str(dates.dt.tz) == "UTC"
    assert dates.iloc[2].microsecond == 500000


def test_a_series_in_segments_is_listed_under_its_final_name(store):
    _running(store)
    store.put(TAG, "parameters.json", "{}")
    assert store.repository()[TAG].list_artifacts() == ["Training loss.csv", "parameters.json"]


def test_the_merged_file_wins_over_leftover_segments(store):
    _running(store)
    store.put(TAG, "Training loss.csv", HEADER + "1,0.1,2026-01-01T00:00:01Z\n")
    assert store.repository()[TAG]["Training loss.csv"]["loss"].tolist() == [0.1]


def test_segments_whose_fields_grew_are_assembled_under_the_union_of_their_fields(store):
    store.record(TAG, "running")
    store.segment(TAG, "loss.csv", 1, HEADER + "1,0.9,2026-01-01T00:00:01Z\n")
    store.segment(TAG, "loss.csv", 2, "epoch,loss,lr,Date\r\n2,0.8,0.1,2026-01-01T00:00:02Z\r\n")
    store.segment(TAG, "loss.csv", 3, "epoch,val_loss,Date\n3,0.5,2026-01-01T00:00:03Z\n")
    frame = store.repository()[TAG]["loss.csv"]
    assert list(frame.columns) == ["loss", "lr", "val_loss", "Date"]
    assert frame.index.tolist() == [1, 2, 3]
    assert frame["lr"].fillna(-1).tolist() == [-1, 0.1, -1]
    assert frame["val_loss"].fillna(-1).tolist() == [-1, -1, 0.5]


def test_segments_with_different_index_fields_are_corrupt(store):
    store.record(TAG, "running")
    store.segment(TAG, "loss.csv", 1, HEADER + "1,0.9,2026-01-01T00:00:01Z\n")
    store.segment(TAG, "loss.csv", 2, "step,loss,Date\n2,0.8,2026-01-01T00:00:02Z\n")
    with pytest.raises(CorruptArtifactError, match="header"):
        store.repository()[TAG]["loss.csv"]


def test_a_running_experiment_with_a_fresh_heartbeat_is_running(store):
    _running(store, heartbeat_age=5)
    exp = store.repository()[TAG]
    assert exp.status == "running"
    assert exp.ended is None
    assert exp.started is not None and exp.started.tzinfo is not None


def test_a_running_experiment_with_a_stale_heartbeat_is_crashed(store):
    _running(store, heartbeat_age=600)
    assert store.repository()[TAG].status == "crashed"


def test_a_heartbeat_within_ninety_seconds_is_not_stale_even_with_a_short_interval(store):
    store.record(TAG, "running", heartbeat_age=60, heartbeat_interval=5)
    assert store.repository()[TAG].status == "running"


@pytest.mark.parametrize("status", ["finished", "failed", "interrupted"])
def test_a_closed_run_reports_the_status_it_recorded(store, status):
    store.record(TAG, status, error={"type": "ValueError", "message": "boom"} if status == "failed" else None)
    exp = store.repository()[TAG]
    assert exp.status == status
    assert exp.ended is not None and exp.ended >= exp.started


def test_status_follows_the_record_as_the_run_goes_on(store):
    store.record(TAG, "running")
    exp = store.repository(refresh_seconds=0)[TAG]
    assert exp.status == "running"
    store.record(TAG, "finished", description="lr sweep")
    assert exp.status == "finished"
    assert exp.description == "lr sweep"
    assert exp.info["tag"] == TAG


def test_the_run_record_is_never_an_artifact(store):
    _running(store)
    names = store.repository()[TAG].list_artifacts()
    assert not any(".lab-workbook" in n for n in names)


def test_a_crashed_run_lasted_until_its_last_heartbeat(store):
    store.record(TAG, "running", heartbeat_age=600, started="2026-01-01T00:00:00Z", heartbeat="2026-01-01T02:30:00Z")
    exp = store.repository()[TAG]
    assert exp.heartbeat == datetime(2026, 1, 1, 2, 30, tzinfo=UTC)
    assert exp.duration == timedelta(hours=2, minutes=30)


def test_a_running_run_lasts_until_its_newest_segment_when_that_is_later_than_its_heartbeat(store):
    # The heartbeat is 30 s apart; a segment stored since is the newer sign of life (issue 25: not "0s").
    started = datetime.now(UTC) - timedelta(seconds=20)
    store.record(TAG, "running", started=started.isoformat(), heartbeat=started.isoformat())
    store.segment(TAG, "Training loss.csv", 1, HEADER + "1,0.9,2026-01-01T00:00:01Z\n")
    duration = store.repository()[TAG].duration
    assert duration is not None and timedelta(seconds=19) < duration < timedelta(seconds=60)


def test_a_finished_run_lasted_until_its_end(store):
    store.record(
        TAG,
        "finished",
        started="2026-01-01T00:00:00Z",
        ended="2026-01-01T00:00:42.5Z",
        heartbeat="2026-01-01T00:00:42.5Z",
    )
    assert store.repository()[TAG].duration == timedelta(seconds=42.5)


def test_a_run_without_a_record_has_no_duration(store):
    store.original(TAG)
    assert store.repository()[TAG].duration is None
