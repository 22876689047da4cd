"""What an experiment holds, with sizes (``exp.artifacts()``), and downloading one to a file."""

from __future__ import annotations

from lab_workbook import ArtifactInfo, ArtifactNotFound, flatten_parameters
import pytest

TAG = "202601010000-artifactsA"
HEADER = "epoch,loss,Date\n"
ONE = HEADER + "1,0.9,2026-01-01T00:00:01Z\n"
TWO = HEADER + "2,0.8,2026-01-01T00:00:02Z\n"


def test_artifacts_have_their_sizes_and_exclude_the_reserved_folder(store):
    store.finished(TAG, {"parameters.json": '{"lr": 0.1}', "notes/readme.md": "hello"})
    assert store.repository()[TAG].artifacts() == [
        ArtifactInfo("notes/readme.md", 5),
        ArtifactInfo("parameters.json", 11),
    ]


def test_a_series_still_in_segments_is_one_artifact_with_the_segments_total_size(store):
    store.record(TAG, "running")
    store.segment(TAG, "loss.csv", 1, ONE)
    store.segment(TAG, "loss.csv", 2, TWO)
    exp = store.repository()[TAG]
    assert exp.artifacts() == [ArtifactInfo("loss.csv", len(ONE) + len(TWO), in_segments=True)]
    assert exp.list_artifacts() == ["loss.csv"]


def test_a_merged_series_wins_over_its_leftover_segments(store):
    store.record(TAG, "running")
    store.segment(TAG, "loss.csv", 1, ONE)
    merged = ONE + TWO.removeprefix(HEADER)
    store.put(TAG, "loss.csv", merged)
    assert store.repository()[TAG].artifacts() == [ArtifactInfo("loss.csv", len(merged))]


def test_download_writes_the_artifact_and_reports_progress(store, tmp_path):
    store.finished(TAG, {"model/weights.bin": b"\x00\x01" * 1000})
    seen: list[int] = []
    dest = tmp_path / "out" / "weights.bin"
    store.repository()[TAG].download("model/weights.bin", dest, progress=seen.append)
    assert dest.read_bytes() == b"\x00\x01" * 1000
    assert sum(seen) == 2000


def test_download_assembles_a_series_still_in_segments(store, tmp_path):
    store.record(TAG, "running")
    store.segment(TAG, "loss.csv", 1, ONE)
    store.segment(TAG, "loss.csv", 2, TWO)
    dest = tmp_path / "loss.csv"
    store.repository()[TAG].download("loss.csv", dest)
    assert dest.read_text() == ONE + TWO.removeprefix(HEADER)


@pytest.mark.parametrize("name", ["missing.txt", "missing.csv", ".lab-workbook/run.json"])
def test_download_of_what_is_not_an_artifact_names_what_is(store, tmp_path, name):
    store.finished(TAG, {"parameters.json": "{}"})
    with pytest.raises(ArtifactNotFound, match=r"parameters\.json"):
        store.repository()[TAG].download(name, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_parameters_flatten_to_dotted_names_with_lists_kept_whole():
    nested = {"lr": 0.1, "model": {"name": "vit", "layers": [4, 4]}, "empty": {}}
    assert flatten_parameters(nested) == {"lr": 0.1, "model.name": "vit", "model.layers": [4, 4]}
    assert flatten_parameters(nested, "params") == {
        "params.lr": 0.1,
        "params.model.name": "vit",
        "params.model.layers": [4, 4],
    }
    assert flatten_parameters(3) == {"": 3}


def test_a_diff_lists_every_parameter_once_with_whether_it_differs(store):
    a = store.finished("202601010000-diffAAAAAA", {"parameters.json": '{"lr": 0.1, "seed": 1, "gone": null}'})
    b = store.finished("202601010001-diffBBBBBB", {"parameters.json": '{"lr": 0.01, "seed": 1, "new": 2}'})
    wb = store.repository()
    changes = wb[a].diff(wb[b])
    assert [tuple(p) for p in changes.parameters] == [
        ("gone", None, None, True),  # null in one run, absent from the other: still a difference
        ("lr", 0.1, 0.01, True),
        ("new", None, 2, True),
        ("seed", 1, 1, False),
    ]
    assert changes.params.index.tolist() == ["gone", "lr", "new"]
    assert changes.params.loc["new", a] == "(absent)"
