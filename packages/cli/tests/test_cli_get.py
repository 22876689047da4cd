"""``lab-workbook get``: downloads, selection, and hostile names that must not escape -o DIR."""

import json
import os

import boto3
from lab_workbook_cli import app
import pytest

TAG = "202401011000-aaaaaaaaaa"


def test_downloads_every_artifact_but_the_reserved_ones(runner, store_prefix, make_run, sample_artifacts, tmp_path):
    make_run(store_prefix, TAG, {**sample_artifacts, "checkpoints/epoch 3.pt": b"\x80binary"})
    result = runner.invoke(app, ["get", TAG, "--prefix", store_prefix, "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    files = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert files == ["Source.git-patch", "Training loss.csv", "checkpoints/epoch 3.pt", "parameters.json"]
    assert (tmp_path / "out" / "checkpoints" / "epoch 3.pt").read_bytes() == b"\x80binary"


def test_default_folder_is_the_tag_in_the_current_directory(runner, local_prefix, make_run, tmp_path, monkeypatch):
    make_run(local_prefix, TAG, {"a.txt": "x"})
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["get", "latest", "--prefix", local_prefix]).exit_code == 0
    assert (tmp_path / TAG / "a.txt").read_text() == "x"


def test_named_artifacts_and_folders_only(runner, local_prefix, make_run, tmp_path):
    make_run(local_prefix, TAG, {"a.txt": "a", "b.txt": "b", "ck/1.pt": "1", "ck/2.pt": "2"})
    result = runner.invoke(app, ["get", TAG, "a.txt", "ck", "--prefix", local_prefix, "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(tmp_path / "o")) for p in (tmp_path / "o").rglob("*.*")) == [
        "a.txt",
        "ck/1.pt",
        "ck/2.pt",
    ]


def test_an_unknown_artifact_exits_1_and_downloads_nothing(runner, local_prefix, make_run, tmp_path):
    make_run(local_prefix, TAG, {"parameters.json": "{}"})
    result = runner.invoke(app, ["get", TAG, "parameter.json", "--prefix", local_prefix, "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "parameters.json" in result.stderr  # the close match
    assert not (tmp_path / "o").exists()


def test_json_lists_the_files_written(runner, local_prefix, make_run, tmp_path):
    make_run(local_prefix, TAG, {"a.txt": "abc"})
    result = runner.invoke(app, ["get", TAG, "--json", "--prefix", local_prefix, "-o", str(tmp_path / "o")])
    data = json.loads(result.stdout)
    assert data["tag"] == TAG
    assert data["files"] == [{"name": "a.txt", "path": str((tmp_path / "o" / "a.txt").resolve()), "size": 3}]
    assert data["skipped"] == []


def _plant(s3_server, bucket, keys):
    """Put objects with any key at all, as someone with bucket access could (core refuses to)."""
    client = boto3.client("s3", endpoint_url=s3_server.url)
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=b"pwned")


def _files_under(folder):
    return sorted(str(p) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "hostile",
    ["../x", "../../outside.txt", "/abs/evil.txt", "ok/../../x", "a/./b"],
)
def test_hostile_names_in_the_bucket_never_land_outside_the_folder(
    runner, s3_server, s3_bucket, s3_prefix, make_run, tmp_path, hostile
):
    make_run(s3_prefix, TAG, {"good.txt": "good"})
    _plant(s3_server, s3_bucket, [f"experiments/{TAG}/{hostile}"])
    work = tmp_path / "work"
    target = work / "a" / "b" / "out"
    target.mkdir(parents=True)
    result = runner.invoke(app, ["get", TAG, "--prefix", s3_prefix, "-o", str(target)])
    assert _files_under(tmp_path) == [str(target / "good.txt")]
    assert not os.path.exists("/abs/evil.txt")
    assert result.exit_code == 1
    assert hostile in result.stderr


def test_a_hostile_name_is_skipped_while_the_rest_downloads(
    runner, s3_server, s3_bucket, s3_prefix, make_run, tmp_path
):
    make_run(s3_prefix, TAG, {"a.txt": "a", "b.txt": "b"})
    _plant(s3_server, s3_bucket, [f"experiments/{TAG}/../x"])
    result = runner.invoke(app, ["get", TAG, "--json", "--prefix", s3_prefix, "-o", str(tmp_path / "o")])
    data = json.loads(result.stdout)
    assert [f["name"] for f in data["files"]] == ["a.txt", "b.txt"]
    assert [s["name"] for s in data["skipped"]] == ["../x"]


def test_a_symlink_in_the_target_folder_cannot_lead_outside(runner, local_prefix, make_run, tmp_path):
    make_run(local_prefix, TAG, {"sub/file.txt": "payload"})
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "o"
    target.mkdir()
    (target / "sub").symlink_to(outside)
    result = runner.invoke(app, ["get", TAG, "--prefix", local_prefix, "-o", str(target)])
    assert result.exit_code == 1
    assert list(outside.iterdir()) == []


def test_a_symlink_in_a_local_store_pointing_outside_is_not_followed(runner, local_prefix, make_run, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    make_run(local_prefix, TAG, {"a.txt": "a", "sub/b.txt": "b"})
    (tmp_path / "store" / TAG / "sub" / "leak.txt").symlink_to(secret)
    result = runner.invoke(app, ["get", TAG, "--prefix", local_prefix, "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert not (tmp_path / "o" / "sub" / "leak.txt").exists()
    assert (tmp_path / "o" / "a.txt").read_text() == "a"


def test_a_progress_bar_is_shown_on_a_terminal(runner, local_prefix, make_run, tmp_path):
    make_run(local_prefix, TAG, {"a.txt": "abc"})
    args = ["get", TAG, "--prefix", local_prefix, "-o", str(tmp_path / "o")]
    assert "downloading" in runner.invoke(app, args, env={"FORCE_COLOR": "1"}).stderr


def test_no_progress_bar_when_not_a_terminal(runner, local_prefix, make_run, tmp_path):
    make_run(local_prefix, TAG, {"a.txt": "abc"})
    result = runner.invoke(app, ["get", TAG, "--prefix", local_prefix, "-o", str(tmp_path / "o")])
    assert "downloading" not in result.stderr and "\x1b[" not in result.stderr


def test_a_series_of_a_running_run_is_assembled_from_its_segments(runner, store_prefix, make_run, tmp_path):
    header = "epoch,loss,Date\n"
    make_run(
        store_prefix,
        TAG,
        {
            ".lab-workbook/segments/loss.csv/00000001.csv": header + "1,2.0,2024-01-01T10:00:00Z\n",
            ".lab-workbook/segments/loss.csv/00000002.csv": header + "2,1.0,2024-01-01T10:01:00Z\n",
        },
        status="running",
    )
    result = runner.invoke(app, ["get", TAG, "--prefix", store_prefix, "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["loss.csv"]
    assert (
        tmp_path / "o" / "loss.csv"
    ).read_text() == header + "1,2.0,2024-01-01T10:00:00Z\n2,1.0,2024-01-01T10:01:00Z\n"
