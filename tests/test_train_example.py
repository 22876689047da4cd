"""examples/train.py trains a real model and records every kind of artifact, on both backends.

The store is checked with core's storage only (not the reader), as a bucket
would be inspected by hand: see docs/format.md.
"""

import csv
import io
import json

from lab_workbook_core import load_config, open_storage
from lab_workbook_core.keys import run_record_key
import pytest
from train_example import run_train_example

pytestmark = pytest.mark.slow


_RUNS: dict = {}
# What the example stores: every artifact kind, named in its run record.
ARTIFACTS = {
    "parameters.json",
    "model.pt",
    "Training loss.csv",
    "Testing Error.csv",
    "confusion.txt",
    "Source.git-current-commit",
    "Source.git-patch",
    "Source.git-untracked",
    "Environment.txt",
}


@pytest.fixture
def trained(request, store_prefix, torch):
    """Run the example for two epochs, once per backend (each run takes seconds); (tag, storage, process)."""
    backend = request.node.callspec.params["store_prefix"]
    if backend not in _RUNS:  # the first test's store (temp folder, moto bucket) lives for the session
        _RUNS[backend] = _train(store_prefix)
    return _RUNS[backend]


def _train(store_prefix):
    tag, result = run_train_example(
        store_prefix, "--lr", "0.05", "--epochs", "2", "--seed", "7", "--description", "example under test"
    )
    return tag, open_storage(load_config(store_prefix)), result


def _text(storage, tag, name):
    return storage.get_bytes(f"{tag}/{name}").decode("utf-8")


def test_the_example_stores_every_artifact_kind(trained):
    tag, storage, _ = trained
    names = {o.key.removeprefix(f"{tag}/") for o in storage.list(f"{tag}/", delimiter=None).objects}
    assert names == ARTIFACTS | {".lab-workbook/run.json"}


def test_the_example_records_its_parameters(trained):
    tag, storage, _ = trained
    params = json.loads(_text(storage, tag, "parameters.json"))
    assert (params["learningRate"], params["epochs"], params["seed"], params["momentum"]) == (0.05, 2, 7, 0.9)
    assert params["batchSize"] == 64


def test_the_example_logs_both_series_with_their_fields(trained):
    tag, storage, _ = trained
    loss = list(csv.DictReader(io.StringIO(_text(storage, tag, "Training loss.csv"))))
    error = list(csv.DictReader(io.StringIO(_text(storage, tag, "Testing Error.csv"))))
    assert list(loss[0]) == ["epoch", "loss", "gradientNorm", "Date"] and len(loss) == 2 * 32
    assert [float(r["epoch"]) for r in loss] == sorted(float(r["epoch"]) for r in loss)
    assert float(loss[-1]["loss"]) < float(loss[0]["loss"])  # it learns
    assert [r["epoch"] for r in error] == ["1", "2"] and float(error[-1]["error"]) < 0.2


def test_the_example_stores_the_last_model_as_a_state_dict(trained, torch):
    tag, storage, _ = trained
    state = torch.load(io.BytesIO(storage.get_bytes(f"{tag}/model.pt")), weights_only=True, map_location="cpu")
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        "0.weight": (32, 2),
        "0.bias": (32,),
        "2.weight": (3, 32),
        "2.bias": (3,),
    }


def test_the_example_run_record_is_finished_with_its_description_and_commit(trained):
    tag, storage, _ = trained
    record = json.loads(storage.get_bytes(run_record_key(tag)))
    assert (record["status"], record["description"]) == ("finished", "example under test")
    assert record["git_commit"] and record["git_commit"] in _text(storage, tag, "Source.git-current-commit")
    assert set(record["artifacts"]) == ARTIFACTS
