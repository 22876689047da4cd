"""An experiment the original Lua tool left in S3 loads as the original Python reader loaded it."""

from datetime import UTC, datetime
import sys

import pandas as pd
import pytest

FIXTURE_TAG = "201602142341-mn5SvgNxHY"


def test_training_loss_is_indexed_by_epoch_with_the_twenty_rows_that_arrived(store):
    store.original()
    frame = store.repository()[FIXTURE_TAG]["Training loss.csv"]
    assert frame.index.name == "epoch"
    assert len(frame) == 20
    assert list(frame.columns) == ["loss", "gradientNorm", "Date"]
    assert frame.loc[0.05, "loss"] == 2.2508487701416


def test_nil_is_missing(store):
    store.original()
    frame = store.repository()[FIXTURE_TAG]["Training loss.csv"]
    assert pd.isna(frame.loc[0.35, "gradientNorm"])
    assert frame["gradientNorm"].dtype == "float64"


def test_dates_are_utc_datetimes(store):
    store.original()
    frame = store.repository()[FIXTURE_TAG]["Training loss.csv"]
    assert isinstance(frame["Date"].dtype, pd.DatetimeTZDtype)
    assert frame["Date"].iloc[0] == pd.Timestamp(datetime(2016, 2, 14, 23, 41, 4, tzinfo=UTC))


def test_integers_in_a_float_column_are_floats(store):
    store.original()
    errors = store.repository()[FIXTURE_TAG]["Testing Error.csv"]
    assert errors.index.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert errors["error"].tolist() == [0.8, 0.6875, 0.6, 0.4875]


def test_parameters_are_a_dict_with_unescaped_slashes(store):
    store.original()
    params = store.repository()[FIXTURE_TAG]["parameters.json"]
    assert params["dataRoot"] == "/mnt/data/cifar10/"
    assert params["model"] == {"inputSize": 3072, "nClasses": 10, "name": "linear"}
    assert params["nesterov"] is True


def test_t7_comes_back_as_bytes_without_torchfile(store, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchfile", None)  # as if the optional package were not installed
    store.original()
    state = store.repository(cache=False)[FIXTURE_TAG]["sgdState.t7"]
    assert isinstance(state, bytes)
    assert len(state) == 75


def test_t7_comes_back_as_python_objects_with_torchfile(store):
    pytest.importorskip("torchfile", reason="the optional torchfile package (extra 't7') is not installed")
    store.original()
    state = store.repository()[FIXTURE_TAG]["sgdState.t7"]
    assert dict(state) == {b"learningRate": 0.05, b"evalCounter": 20}


def test_git_artifacts_are_strings(store):
    store.original()
    exp = store.repository()[FIXTURE_TAG]
    assert exp["Source.git-current-commit"].startswith("commit 5e4dc9eac49eb331e8f427b2bb90a50f39ed8cbd")
    assert "+model:add(nn.Linear(3072, 10):noBias())" in exp["Source.git-patch"]


def test_empty_git_patch_written_outside_a_repository_is_an_empty_string(store):
    store.put("201602150000-emptyPatch", "Source.git-patch", b"")
    assert store.repository()["201602150000-emptyPatch"]["Source.git-patch"] == ""


def test_no_run_record_means_status_unknown(store):
    store.original()
    exp = store.repository()[FIXTURE_TAG]
    assert exp.status == "unknown"
    assert exp.info == {}
    assert exp.started is None and exp.ended is None and exp.description is None


def test_artifacts_are_listed_sorted(store):
    store.original()
    assert store.repository()[FIXTURE_TAG].list_artifacts() == [
        "Source.git-current-commit",
        "Source.git-patch",
        "Testing Error.csv",
        "Training loss.csv",
        "parameters.json",
        "sgdState.t7",
    ]
