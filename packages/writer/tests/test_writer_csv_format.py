"""Series CSV files follow docs/format.md: header, exact floats, RFC 4180 quoting, empty cells, UTC Date."""

import csv
from datetime import UTC, datetime, timedelta
import io
import re

from lab_workbook_core import InvalidNameError, InvalidValueError
from lab_workbook_writer import new_experiment
import pytest

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _series(store, fields, rows, **kwargs):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("Training loss", fields, **kwargs)
        for row in rows:
            log(**row)
    return store.bytes(wb.tag, "Training loss.csv").decode("utf-8")


def test_header_is_the_fields_in_order_then_date(store):
    text = _series(store, ["epoch", "loss", "gradientNorm"], [])
    assert text == "epoch,loss,gradientNorm,Date\r\n"


def test_floats_round_trip_exactly(store):
    values = [0.1, 1 / 3, 2.2508487701416e-300, -1.7976931348623157e308, 5e-324, 123456789.123456789]
    text = _series(store, ["x"], [{"x": v} for v in values])
    cells = [row["x"] for row in csv.DictReader(io.StringIO(text))]
    assert [float(c) for c in cells] == values
    assert cells == [repr(v) for v in values]


def test_integers_are_written_as_integers(store):
    text = _series(store, ["step"], [{"step": 3}, {"step": 10**20}])
    assert [r["step"] for r in csv.DictReader(io.StringIO(text))] == ["3", str(10**20)]


def test_strings_are_quoted_per_rfc_4180(store):
    tricky = ["plain", "a,b", 'say "hi"', "two\nlines", "carriage\rreturn", " spaced "]
    text = _series(store, ["step", "note"], [{"step": i, "note": s} for i, s in enumerate(tricky)])
    assert '"a,b"' in text and '"say ""hi"""' in text
    assert [r["note"] for r in csv.DictReader(io.StringIO(text, newline=""))] == tricky


def test_a_missing_field_is_an_empty_cell(store):
    text = _series(store, ["epoch", "loss", "error"], [{"epoch": 1, "error": 0.5}])
    assert text.splitlines()[1].startswith("1,,0.5,")


def test_date_is_the_rows_utc_time_in_iso_8601_with_z(store):
    before = datetime.now(UTC)
    text = _series(store, ["step"], [{"step": 1}])
    date = next(csv.DictReader(io.StringIO(text)))["Date"]
    assert DATE.match(date), date
    moment = datetime.fromisoformat(date.replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= moment <= datetime.now(UTC)


def test_a_dict_and_keyword_arguments_log_the_same_row(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("s", ["epoch", "loss"])
        log({"epoch": 1, "loss": 0.5})
        log(epoch=1, loss=0.5)
    rows = store.rows(wb.tag, "s.csv")
    assert [(r["epoch"], r["loss"]) for r in rows] == [("1", "0.5"), ("1", "0.5")]


def test_numpy_and_one_element_torch_values_are_recorded_as_numbers(store, torch):
    np = pytest.importorskip("numpy")  # torch does not require numpy: the writer-only environment may lack it
    text = _series(
        store,
        ["a", "b", "c", "d", "e"],
        [
            {
                "a": np.float32(0.1),
                "b": np.int64(7),
                "c": torch.tensor(2.5),
                "d": torch.tensor([[3]]),
                "e": np.array([0.25]),
            }
        ],
    )
    row = next(csv.DictReader(io.StringIO(text)))
    assert float(row["a"]) == float(np.float32(0.1))
    assert (row["b"], row["c"], row["d"], row["e"]) == ("7", "2.5", "3", "0.25")


def test_a_multi_element_tensor_is_refused_at_the_call(tmp_path, torch):
    with new_experiment(tmp_path / "store") as wb:
        log = wb.new_time_series_log("Training loss", ["loss"])
        with pytest.raises(InvalidValueError, match=r"'Training loss'.*'loss'.*3 elements"):
            log(loss=torch.tensor([1.0, 2.0, 3.0]))


def test_an_unknown_field_is_refused_at_the_call_naming_the_known_ones(tmp_path):
    with new_experiment(tmp_path / "store") as wb:
        log = wb.new_time_series_log("Training loss", ["epoch", "loss"])
        with pytest.raises(InvalidValueError, match=r"no field 'los'.*'epoch', 'loss'"):
            log(epoch=1, los=0.3)


def test_an_unsupported_value_is_refused_at_the_call(tmp_path):
    with new_experiment(tmp_path / "store") as wb:
        log = wb.new_time_series_log("s", ["loss"])
        with pytest.raises(InvalidValueError, match="cannot record a dict"):
            log(loss={"a": 1})


def test_a_refused_row_leaves_no_trace(store, torch):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("s", ["loss"])
        log(loss=1.0)
        with pytest.raises(InvalidValueError):
            log(loss=torch.ones(2))
        log(loss=2.0)
    assert [r["loss"] for r in store.rows(wb.tag, "s.csv")] == ["1.0", "2.0"]


def test_series_fields_must_be_a_list_of_unique_names_without_date(tmp_path):
    with new_experiment(tmp_path / "store") as wb:
        for bad in ("epoch", [], ["a", "a"], ["Date"], ["a", ""]):
            with pytest.raises(InvalidValueError):
                wb.new_time_series_log("s", bad)


def test_attempt_is_a_reserved_field_name_in_a_fixed_list(tmp_path):
    with new_experiment(tmp_path / "store") as wb, pytest.raises(InvalidNameError, match="reserved"):
        wb.new_time_series_log("s", ["step", "Attempt"])


def test_attempt_is_a_reserved_field_name_in_a_growing_series(tmp_path):
    with new_experiment(tmp_path / "store") as wb:
        log = wb.new_time_series_log("s")
        with pytest.raises(InvalidNameError, match="reserved"):
            log(step=1, Attempt=2)
