"""Each artifact kind loads as the type its name's ending says, and bad content fails clearly."""

import io
import pickle

from lab_workbook import ArtifactNotFound, CorruptArtifactError
import pytest

TAG = "202601010000-kindsAAAAA"


class _Hostile:
    """A pickle that would create a file when unpickled."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_state_dict_loads_with_torch_on_the_cpu(store, torch):

    buffer = io.BytesIO()
    torch.save({"weight": torch.arange(6.0).reshape(2, 3)}, buffer)
    store.finished(TAG, {"model.pt": buffer.getvalue()})
    state = store.repository()[TAG]["model.pt"]
    assert torch.equal(state["weight"], torch.arange(6.0).reshape(2, 3))
    assert state["weight"].device.type == "cpu"


def test_a_hostile_pickle_is_refused_and_never_runs(store, tmp_path, torch):

    victim = tmp_path / "pwned"
    buffer = io.BytesIO()
    torch.save({"weight": torch.zeros(1), "payload": _Hostile(str(victim))}, buffer)
    store.finished(TAG, {"model.pt": buffer.getvalue()})
    with pytest.raises(CorruptArtifactError, match=r"refused to load .*model\.pt"):
        store.repository()[TAG]["model.pt"]
    assert not victim.exists()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_plain_pickle_with_os_system_is_refused(store, tmp_path, torch):
    victim = tmp_path / "pwned-by-system"

    class _System:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {victim}",))

    store.finished(TAG, {"evil.pt": pickle.dumps(_System())})
    with pytest.raises(CorruptArtifactError):
        store.repository()[TAG]["evil.pt"]
    assert not victim.exists()


@pytest.mark.parametrize("name", ["a.git-untracked", "notes.txt", "train.log", "README.md"])
def test_text_artifacts_are_strings(store, name):
    store.finished(TAG, {name: "héllo\n"})
    assert store.repository()[TAG][name] == "héllo\n"


def test_a_json_list_is_a_list(store):
    store.finished(TAG, {"steps.json": "[1, 2, 3]"})
    assert store.repository()[TAG]["steps.json"] == [1, 2, 3]


def test_unknown_endings_are_bytes(store):
    store.finished(TAG, {"weights.bin": b"\x89PNG\r\n"})  # (.png is a picture: test_reader_images.py)
    assert store.repository()[TAG]["weights.bin"] == b"\x89PNG\r\n"


def test_nested_names_load(store):
    store.finished(TAG, {"checkpoints/epoch 3.json": '{"epoch": 3}'})
    exp = store.repository()[TAG]
    assert exp.list_artifacts() == ["checkpoints/epoch 3.json"]
    assert exp["checkpoints/epoch 3.json"] == {"epoch": 3}


def test_exp_slice_is_the_artifact_list(store):
    store.finished(TAG, {"b.txt": "", "a.txt": ""})
    exp = store.repository()[TAG]
    assert exp[:] == ["a.txt", "b.txt"] == exp.list_artifacts()


def test_folder_markers_inside_an_experiment_are_not_artifacts(s3_store):
    s3_store.finished(TAG, {"a.txt": ""})
    for key in (f"experiments/{TAG}/", f"experiments/{TAG}/checkpoints/"):
        s3_store.storage.client.put_object(Bucket=s3_store.storage.bucket, Key=key, Body=b"")
    assert s3_store.repository()[TAG].list_artifacts() == ["a.txt"]


def test_a_missing_artifact_lists_what_exists_and_the_closest_name(store):
    store.finished(TAG, {"Training loss.csv": "epoch,loss,Date\n", "parameters.json": "{}"})
    with pytest.raises(ArtifactNotFound) as caught:
        store.repository()[TAG]["Training los.csv"]
    message = str(caught.value)
    assert isinstance(caught.value, KeyError)
    assert "Did you mean 'Training loss.csv'" in message
    assert "'parameters.json'" in message


def test_reserved_names_are_not_artifacts(store):
    store.finished(TAG, {"a.txt": ""})
    with pytest.raises(ArtifactNotFound):
        store.repository()[TAG][".lab-workbook/run.json"]


def test_corrupt_json_names_the_artifact_and_the_problem(store):
    store.finished(TAG, {"parameters.json": '{"lr": 0.1,'})
    with pytest.raises(CorruptArtifactError, match=rf"{TAG}/parameters.json is not valid JSON: .* line 1"):
        store.repository()[TAG]["parameters.json"]


def test_corrupt_csv_names_the_artifact_and_the_problem(store):
    store.finished(TAG, {"loss.csv": "epoch,loss,Date\n1,0.5,2026-01-01T00:00:01Z\n2,0.4,x,y,z\n"})
    with pytest.raises(CorruptArtifactError, match=rf"{TAG}/loss.csv is not a readable CSV: .*fields"):
        store.repository()[TAG]["loss.csv"]


def test_a_bad_date_is_corrupt(store):
    store.finished(TAG, {"loss.csv": "epoch,loss,Date\n1,0.5,yesterday\n"})
    with pytest.raises(CorruptArtifactError, match="Date"):
        store.repository()[TAG]["loss.csv"]


def test_an_empty_csv_is_corrupt(store):
    store.finished(TAG, {"loss.csv": ""})
    with pytest.raises(CorruptArtifactError, match="no header"):
        store.repository()[TAG]["loss.csv"]


def test_a_header_only_series_is_an_empty_frame(store):
    store.finished(TAG, {"loss.csv": "epoch,loss,Date\n"})
    frame = store.repository()[TAG]["loss.csv"]
    assert frame.empty and frame.index.name == "epoch" and list(frame.columns) == ["loss", "Date"]


def test_quoted_strings_and_crlf_lines_parse(store):
    store.finished(TAG, {"notes.csv": 'step,note,Date\r\n1,"a, b",2026-01-01T00:00:01Z\r\n'})
    assert store.repository()[TAG]["notes.csv"].loc[1, "note"] == "a, b"
