"""save_json, save_torch and save_file store what was given, under the names the original used."""

import io
import json
import math

from lab_workbook_core import ExperimentClosedError, InvalidNameError, InvalidValueError
from lab_workbook_writer import new_experiment
import pytest


def test_save_json_stores_name_dot_json(store):
    params = {"learningRate": 0.1, "momentum": 0.9, "layers": [1, 2], "name": "résumé", "nesterov": True}
    with new_experiment(store.prefix) as wb:
        wb.save_json("parameters", params)
    assert json.loads(store.bytes(wb.tag, "parameters.json")) == params


def test_save_json_refuses_nan_naming_the_path_to_it(tmp_path):
    with new_experiment(tmp_path / "store") as wb:
        with pytest.raises(InvalidValueError, match=r"parameters\['optim'\]\['lr'\]\[1\] is nan"):
            wb.save_json("parameters", {"optim": {"lr": [0.1, math.nan]}})
        with pytest.raises(InvalidValueError, match=r"\['x'\] is inf"):
            wb.save_json("parameters", {"x": math.inf})


def test_save_json_refuses_what_json_cannot_hold_naming_it(tmp_path):
    with new_experiment(tmp_path / "store") as wb, pytest.raises(InvalidValueError, match=r"\['model'\] has type"):
        wb.save_json("parameters", {"model": object()})


def test_save_json_converts_numpy_and_torch_scalars(store, torch):
    np = pytest.importorskip("numpy")
    with new_experiment(store.prefix) as wb:
        wb.save_json("p", {"a": np.int64(3), "b": torch.tensor(0.5), "c": np.array([1, 2])})
    assert json.loads(store.bytes(wb.tag, "p.json")) == {"a": 3, "b": 0.5, "c": [1, 2]}


def test_save_torch_stores_a_loadable_state_dict_as_name_dot_pt(store, torch):
    model = torch.nn.Linear(3, 2)
    with new_experiment(store.prefix) as wb:
        wb.save_torch("model", model.state_dict())
    loaded = torch.load(io.BytesIO(store.bytes(wb.tag, "model.pt")), weights_only=True, map_location="cpu")
    assert all(torch.equal(loaded[k], v) for k, v in model.state_dict().items())


def test_save_file_stores_a_copy_under_its_basename(store, tmp_path):
    picture = tmp_path / "confusion.png"
    picture.write_bytes(b"\x89PNG fake")
    with new_experiment(store.prefix) as wb:
        wb.save_file(picture)
        picture.write_bytes(b"changed after saving")  # the copy was taken at the call
        wb.save_file(picture, name="plots/second.png")
    assert store.bytes(wb.tag, "confusion.png") == b"\x89PNG fake"
    assert store.bytes(wb.tag, "plots/second.png") == b"changed after saving"


def test_names_that_could_escape_the_store_are_refused_at_the_call(tmp_path):
    with new_experiment(tmp_path / "store") as wb:
        for bad in ("../x", "/abs", "a//b", "", "a/./b"):
            with pytest.raises(InvalidNameError):
                wb.save_json(bad, {})
    assert not (tmp_path / "x.json").exists()


def test_reserved_names_are_refused(tmp_path):
    with new_experiment(tmp_path / "store") as wb:
        with pytest.raises(InvalidNameError, match="reserved"):
            wb.save_json(".lab-workbook/run", {})
        with pytest.raises(InvalidNameError, match="reserved"):
            wb.new_time_series_log(".lab-workbook/segments/x", ["a"])


def test_a_closed_experiment_refuses_every_write(tmp_path):
    wb = new_experiment(tmp_path / "store")
    log = wb.new_time_series_log("s", ["a"])
    wb.close()
    for write in (
        lambda: wb.save_json("p", {}),
        lambda: wb.save_file(__file__),
        lambda: log(a=1),
        lambda: log(a="text"),
        lambda: wb.new_time_series_log("t", ["a"]),
        lambda: wb.save_git_status(),
    ):
        with pytest.raises(ExperimentClosedError, match="closed"):
            write()


def test_close_is_idempotent(store):
    wb = new_experiment(store.prefix)
    assert wb.close() is True
    assert wb.close() is True
    assert store.record(wb.tag)["status"] == "finished"


def test_saving_a_name_again_replaces_it(store):
    with new_experiment(store.prefix) as wb:
        for epoch in range(5):
            wb.save_json("checkpoint", {"epoch": epoch})
            wb.flush()
    assert json.loads(store.bytes(wb.tag, "checkpoint.json")) == {"epoch": 4}


def test_flush_returns_once_everything_saved_is_in_the_store(store):
    wb = new_experiment(store.prefix)
    wb.save_json("parameters", {"lr": 0.1})
    log = wb.new_time_series_log("s", ["a"], save_every=1000, flush_seconds=100)
    log(a=1)
    assert wb.flush(timeout=10) is True
    assert store.storage.exists(f"{wb.tag}/parameters.json")
    assert [s[0] for s in store.segments(wb.tag, "s.csv")] == ["00000001.csv"]
    wb.close()
