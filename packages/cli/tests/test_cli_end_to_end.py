"""The installed ``lab-workbook`` executable, in a subprocess, against the real HTTP S3 endpoint."""

import json
import os
from pathlib import Path
import shutil
import subprocess
import sys

import pytest

TAG = "202401011000-aaaaaaaaaa"


def _executable() -> str:
    beside = Path(sys.executable).parent / "lab-workbook"
    found = str(beside) if beside.exists() else shutil.which("lab-workbook")
    if not found:
        pytest.fail("the lab-workbook console script is not installed (pip install -e packages/cli)")
    return found


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    # The s3_bucket fixture put AWS_ENDPOINT_URL_S3 (and test credentials) in os.environ.
    return subprocess.run(
        [_executable(), *args], capture_output=True, text=True, timeout=120, env=dict(os.environ), cwd=cwd
    )


def test_the_executable_lists_and_downloads_from_s3(s3_prefix, make_run, sample_artifacts, tmp_path):
    make_run(s3_prefix, TAG, sample_artifacts, description="over HTTP")
    listed = _run("list", "--json", "--prefix", s3_prefix)
    assert listed.returncode == 0, listed.stderr
    assert [(r["tag"], r["description"]) for r in json.loads(listed.stdout)] == [(TAG, "over HTTP")]
    got = _run("get", "latest", "--prefix", s3_prefix, "-o", str(tmp_path / "out"))
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "out" / "Training loss.csv").read_text() == sample_artifacts["Training loss.csv"]


def test_the_executable_exits_1_with_one_line_for_an_unknown_tag(s3_prefix, make_run):
    make_run(s3_prefix, TAG)
    result = _run("show", "nope", "--prefix", s3_prefix)
    assert result.returncode == 1
    assert result.stderr.startswith("error: no experiment 'nope'") and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_the_executable_exits_2_on_a_usage_error():
    assert _run("list", "--no-such-option").returncode == 2


def test_doctor_passes_against_the_endpoint(s3_prefix):
    result = _run("doctor", "--prefix", s3_prefix)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout


def test_a_run_recorded_by_the_writer_is_shown_and_plotted(s3_prefix, tmp_path):
    from lab_workbook_writer import new_experiment
    import matplotlib.image

    with new_experiment(prefix=s3_prefix, description="end to end") as wb:
        wb.save_json("parameters", {"learningRate": 0.05})
        log = wb.new_time_series_log("Training loss", ["epoch", "loss"])
        for epoch in range(1, 6):
            log(epoch=epoch, loss=1.0 / epoch)
    shown = _run("show", wb.tag[:14], "--json", "--prefix", s3_prefix)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert (data["status"], data["parameters"]) == ("finished", {"learningRate": 0.05})
    assert data["series"]["Training loss.csv"]["last"]["loss"] == 0.2
    plotted = _run("plot", "latest", "-a", "Training loss", "-f", "loss", "--prefix", s3_prefix, cwd=tmp_path)
    assert plotted.returncode == 0, plotted.stderr
    assert matplotlib.image.imread(tmp_path / plotted.stdout.strip()).shape[:2] == (600, 1000)


def test_the_writer_creates_a_new_local_store_that_list_then_reads(tmp_path, runner):
    from lab_workbook_cli import app
    from lab_workbook_writer import new_experiment

    prefix = str(tmp_path / "new" / "store") + "/"
    assert runner.invoke(app, ["list", "--prefix", prefix]).exit_code == 1  # no folder yet: not an empty store
    with new_experiment(prefix, description="first run", capture_environment=False) as wb:
        wb.save_json("parameters", {"lr": 0.1})
    result = runner.invoke(app, ["list", "--json", "--prefix", prefix])
    assert result.exit_code == 0, result.output
    assert [row["tag"] for row in json.loads(result.stdout)] == [wb.tag]
