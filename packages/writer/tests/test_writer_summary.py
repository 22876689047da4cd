"""The final run record's summary: small JSON artifacts and each series field's last, min and max."""

from lab_workbook_writer import new_experiment


def test_a_finished_record_carries_the_parameters_as_saved(store):
    wb = new_experiment(store.prefix)
    wb.save_json("parameters", {"learningRate": 0.1, "model": {"depth": 20}})
    wb.save_json("parameters", {"learningRate": 0.05, "model": {"depth": 20}})  # the last save counts
    wb.close()
    summary = store.record(wb.tag)["summary"]
    assert summary["json"] == {"parameters.json": {"learningRate": 0.05, "model": {"depth": 20}}}


def test_a_large_json_artifact_is_not_copied_into_the_record(store):
    wb = new_experiment(store.prefix)
    wb.save_json("big", {"values": list(range(10_000))})
    wb.close()
    assert store.record(wb.tag)["summary"]["json"] == {}


def test_series_fields_have_their_last_min_and_max(store):
    wb = new_experiment(store.prefix)
    log = wb.new_time_series_log("Training loss", ["epoch", "loss", "phase"])
    log(epoch=1, loss=2.5, phase="warmup")
    log(epoch=2, loss=float("nan"), phase="train")
    log(epoch=3, loss=0.5)
    log(epoch=4, loss=1.25)
    log(epoch=5)
    wb.close()
    series = store.record(wb.tag)["summary"]["series"]["Training loss.csv"]
    assert series["rows"] == 5
    assert series["fields"]["epoch"] == {"last": 5, "min": 1, "max": 5}
    assert series["fields"]["loss"] == {"last": 1.25, "min": 0.5, "max": 2.5}  # nan is a missing value
    assert series["fields"]["phase"] is None  # not numbers: readers read the series


def test_infinities_are_strings_and_the_record_stays_strict_json(store):
    wb = new_experiment(store.prefix)
    log = wb.new_time_series_log("loss", ["step", "loss"])
    log(step=0, loss=float("inf"))
    log(step=1, loss=-float("inf"))
    log(step=2, loss=3.0)
    wb.close()
    raw = store.storage.get_bytes(f"{wb.tag}/.lab-workbook/run.json").decode()
    assert "Infinity" not in raw and "NaN" not in raw
    assert store.record(wb.tag)["summary"]["series"]["loss.csv"]["fields"]["loss"] == {
        "last": 3.0,
        "min": "-inf",
        "max": "inf",
    }


def test_a_series_without_rows_has_empty_values(store):
    wb = new_experiment(store.prefix)
    wb.new_time_series_log("loss", ["step", "loss"])
    wb.close()
    series = store.record(wb.tag)["summary"]["series"]["loss.csv"]
    assert series == {"rows": 0, "fields": {f: {"last": None, "min": None, "max": None} for f in ("step", "loss")}}


def test_a_running_record_has_no_summary(store):
    wb = new_experiment(store.prefix)
    wb.save_json("parameters", {"lr": 0.1})
    assert "summary" not in store.record(wb.tag)
    wb.close()
