"""Values and names are checked where they are given: each round-trips exactly, or is refused at the call."""

import math
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lab_workbook_core import InvalidNameError, InvalidValueError
from lab_workbook_writer import new_experiment
import pytest

_ONCE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_a_string_that_is_not_text_is_refused_at_the_call_and_the_other_rows_kept(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("Files", ["step", "name"])
        log(step=0, name="ok")
        with pytest.raises(InvalidValueError, match="surrogate"):
            log(step=1, name=os.fsdecode(b"caf\xe9"))
        log(step=2, name="caf\u00e9")
    assert store.record(wb.tag)["status"] == "finished"
    assert [(r["step"], r["name"]) for r in store.rows(wb.tag, "Files.csv")] == [("0", "ok"), ("2", "caf\u00e9")]


def test_booleans_are_written_as_one_and_zero_so_the_column_stays_numeric(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("Flags", ["step", "value"])
        log(step=0, value=0.5)
        log(step=1, value=True)
        log(step=2, value=False)
        log(step=3, value=float("nan"))
        log(step=4, value=float("-inf"))
    assert [r["value"] for r in store.rows(wb.tag, "Flags.csv")] == ["0.5", "1", "0", "nan", "-inf"]


@pytest.mark.parametrize("field", ["loss\nvalidation", "loss\r", "tab\there", os.fsdecode(b"\xff")])
def test_a_field_name_that_would_break_the_header_is_refused(local_prefix, field):
    with new_experiment(local_prefix) as wb, pytest.raises(InvalidNameError, match="field name"):
        wb.new_time_series_log("Training loss", ["step", field])


def test_a_path_component_over_255_bytes_is_refused_by_a_local_store(local_prefix):
    with new_experiment(local_prefix) as wb:
        with pytest.raises(InvalidNameError, match="255"):
            wb.save_json("é" * 126, 1)  # 252 bytes, plus ".json"
        wb.save_json("checkpoints/" + "é" * 120, 1)  # 240 + 5 bytes: fine
        with pytest.raises(InvalidNameError, match="255"):
            wb.new_time_series_log("x" * 252, ["step"])  # 256 bytes with ".csv"


def test_a_key_over_1024_bytes_is_refused_by_s3(s3_prefix):
    with new_experiment(s3_prefix) as wb:
        with pytest.raises(InvalidNameError, match="1,024"):
            wb.save_json("/".join(["a" * 200] * 5), 1)
        wb.save_json("/".join(["a" * 200] * 4), 1)  # segments are not involved: fine
        with pytest.raises(InvalidNameError, match="1,024"):
            # experiments/<tag>/<name>.csv is 1,002 bytes, but its segments' keys are 1,038
            wb.new_time_series_log("/".join(["a" * 200] * 4) + "a" * 160, ["step"])


def test_an_artifact_name_that_is_not_text_is_refused(local_prefix):
    with new_experiment(local_prefix) as wb, pytest.raises(InvalidNameError, match="surrogate"):
        wb.save_json(os.fsdecode(b"r\xe9sultats"), 1)


_cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)


_LOCAL = pytest.mark.parametrize("store_prefix", ["local"], indirect=True)


@_LOCAL
@_ONCE
@given(rows=st.lists(st.tuples(_cells, _cells), min_size=1, max_size=20))
def test_every_value_round_trips_exactly_or_is_refused_at_the_call(store, rows):
    accepted = []
    with new_experiment(store.prefix, heartbeat_seconds=60) as wb:
        log = wb.new_time_series_log("Values", ["a", "b"])
        for a, b in rows:
            try:
                log(a=a, b=b)
            except InvalidValueError:
                assert any(_not_text(v) for v in (a, b))
            else:
                assert not any(_not_text(v) for v in (a, b))
                accepted.append((a, b))
    stored = [(r["a"], r["b"]) for r in store.rows(wb.tag, "Values.csv")]
    assert len(stored) == len(accepted)
    for (a, b), (cell_a, cell_b) in zip(accepted, stored, strict=True):
        assert _same(a, cell_a) and _same(b, cell_b)


def _not_text(value):
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return "\x00" in value


def _same(value, cell):
    """How docs/format.md says a value is written: None and "" empty, booleans 1/0, floats by repr."""
    if value is None or value == "":
        return cell == ""
    if isinstance(value, bool):
        return cell == str(int(value))
    if isinstance(value, float):
        return (math.isnan(value) and cell == "nan") or (float(cell) == value and cell == repr(value))
    if isinstance(value, int):
        return int(cell) == value
    return cell == value


@_LOCAL
@_ONCE
@given(name=st.text(min_size=1, max_size=40).filter(lambda n: "/" not in n))
def test_every_name_round_trips_or_is_refused_at_the_call(store, name):
    with new_experiment(store.prefix, heartbeat_seconds=60) as wb:
        try:
            wb.save_json(name, {"name": "kept"})
        except InvalidNameError:
            return
    assert store.record(wb.tag)["status"] == "finished"
    assert store.bytes(wb.tag, f"{name}.json") == b'{"name": "kept"}' or b"kept" in store.bytes(wb.tag, f"{name}.json")
