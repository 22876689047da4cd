"""RunRecord: the run record typed and frozen, parsed and serialised once, unknown fields kept."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
import json
import math
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from lab_workbook_core import CorruptArtifactError, InvalidValueError
from lab_workbook_core.record import RECORD_FIELDS, RunRecord
from lab_workbook_core.summary import FieldSummary
import pytest

#: A final record as lab-workbook-writer 0.1.0 wrote it (before RunRecord), environment and summary included.
WRITTEN = (Path(__file__).parent / "data" / "run-by-writer-0.1.0.json").read_bytes()


def test_a_record_the_writer_wrote_serialises_to_the_same_bytes():
    assert RunRecord.parse(WRITTEN, "t").to_json_bytes() == WRITTEN


def test_every_documented_field_is_a_typed_attribute():
    attributes = [f.name for f in dataclasses.fields(RunRecord) if f.name not in ("extra", "keys")]
    assert sorted(attributes) == sorted(RECORD_FIELDS)


def test_fields_are_read_as_attributes_with_json_lists_as_tuples():
    record = RunRecord.parse(WRITTEN, "t")
    assert (record.status, record.format_version, record.heartbeat_interval) == ("finished", 1, 30.0)
    assert record.argv == ("-c",) and record.env == {"HOME": "/root"} and record.cuda_devices is None


def test_unknown_fields_are_kept_in_their_place():
    data = b'{"status": "running", "shiny": {"a": [1, 2]}, "pid": 7, "later": null}'
    record = RunRecord.parse(data, "t")
    assert record.extra == {"shiny": {"a": (1, 2)}, "later": None}
    assert list(record.to_mapping()) == ["status", "shiny", "pid", "later"]
    assert json.loads(record.to_json_bytes()) == json.loads(data)


def test_an_absent_field_and_a_null_one_stay_apart():
    assert RunRecord.parse(b'{"status": "running", "ended": null}', "t").to_mapping() == {
        "status": "running",
        "ended": None,
    }
    assert RunRecord.parse(b'{"status": "running"}', "t").to_mapping() == {"status": "running"}


def test_a_record_cannot_be_changed_in_place():
    record = RunRecord.parse(WRITTEN, "t")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.status = "failed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.env["HOME"] = "/elsewhere"  # type: ignore[index]
    with pytest.raises(TypeError):
        record.extra["x"] = 1  # type: ignore[index]


def test_a_field_of_the_wrong_type_is_refused_naming_the_run_and_the_field():
    with pytest.raises(CorruptArtifactError, match=r"the run record of 2016-x has 'pid' \"7\" \(a string; an integer"):
        RunRecord.from_mapping({"status": "running", "pid": "7"}, tag="2016-x")


def test_replace_refuses_a_value_of_the_wrong_type_as_a_programming_error():
    with pytest.raises(InvalidValueError, match=r"has 'heartbeat_interval' \"30\""):
        RunRecord(status="running").replace(heartbeat_interval="30")


def test_replace_changes_fields_in_place_and_adds_new_ones_last():
    record = RunRecord.parse(b'{"status": "running", "ended": null, "pid": 7}', "t")
    changed = record.replace(status="finished", ended="2016-02-14T23:41:05.250113Z", summary={"json": {}})
    assert list(changed.to_mapping()) == ["status", "ended", "pid", "summary"]
    assert (changed.status, record.status) == ("finished", "running")


def test_replace_with_none_removes_a_field_that_cannot_be_null_and_nulls_one_that_can():
    record = RunRecord.parse(b'{"status": "finished", "ended": "2016-02-14T23:41:05Z", "summary": {}}', "t")
    assert record.replace(summary=None, ended=None).to_mapping() == {"status": "finished", "ended": None}


def test_times_read_as_utc_datetimes_while_the_stored_strings_stay_as_written():
    data = b'{"status": "running", "started": "2016-02-15T00:41:05+01:00", "heartbeat": "not a time"}'
    record = RunRecord.parse(data, "t")
    assert record.started_at == datetime(2016, 2, 14, 23, 41, 5, tzinfo=UTC)
    assert record.heartbeat_at is None and record.ended_at is None
    assert record.to_json_bytes() == RunRecord.parse(record.to_json_bytes(), "t").to_json_bytes()
    assert json.loads(record.to_json_bytes())["started"] == "2016-02-15T00:41:05+01:00"


def test_the_summary_reads_its_numbers_decoded_and_serialises_as_stored():
    record = RunRecord.parse(WRITTEN, "t")
    assert record.summary is not None
    series = record.summary.series_of("Training loss.csv.csv")
    assert series is not None and series.rows == 2
    loss = series.fields["loss"]
    assert loss == FieldSummary(last=0.5, min=0.5, max=math.inf)
    assert series.fields["phase"] is None
    assert record.summary.json["parameters.json.json"]["model"] == {"depth": 20}
    assert json.loads(WRITTEN)["summary"] == record.summary.to_mapping()


def test_a_summary_number_stored_as_null_reads_as_nan():
    record = RunRecord.from_mapping(
        {"status": "finished", "summary": {"series": {"s.csv": {"rows": 0, "fields": {"x": {"last": None}}}}}}
    )
    assert record.summary is not None
    numbers = record.summary.series["s.csv"].fields["x"]
    assert numbers is not None and math.isnan(numbers.last) and math.isnan(numbers.max)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3),
    max_leaves=8,
)
_unknown_names = st.text(min_size=1).filter(lambda name: name not in RECORD_FIELDS)


@given(
    st.dictionaries(_unknown_names, _json, max_size=4),
    st.sampled_from(["running", "finished", "failed", "interrupted"]),
    st.one_of(st.none(), st.text()),
    st.lists(st.text(), max_size=3),
)
def test_any_record_round_trips_byte_for_byte(extra: dict, status: str, description: str | None, argv: list):
    fields = {"status": status, **extra, "description": description, "argv": argv}
    data = (json.dumps(fields, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    record = RunRecord.parse(data, "t")
    assert record.to_json_bytes() == data
    assert record.to_mapping() == fields


_BEAT = "2016-02-14T23:41:05.000000Z"
_AT = datetime(2016, 2, 14, 23, 41, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("interval", "seconds_later", "stale"),
    [(30.0, 90, False), (30.0, 91, True), (10.0, 91, True), (10.0, 89, False), (60.0, 179, False), (60.0, 181, True)],
)
def test_a_running_record_is_stale_after_three_heartbeat_intervals_and_at_least_90_seconds(
    interval: float, seconds_later: int, stale: bool
):
    record = RunRecord.from_mapping({"status": "running", "heartbeat": _BEAT, "heartbeat_interval": interval})
    assert record.is_stale(_AT + timedelta(seconds=seconds_later)) is stale


def test_a_final_record_is_never_stale():
    record = RunRecord.from_mapping({"status": "finished", "heartbeat": _BEAT})
    assert not record.is_stale(_AT + timedelta(days=1))
