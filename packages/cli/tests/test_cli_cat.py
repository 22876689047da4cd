"""``lab-workbook cat``: the artifact on stdout, raw; patches coloured only on a terminal."""

import re

from lab_workbook_cli import app

TAG = "202401011000-aaaaaaaaaa"


def test_a_csv_is_printed_as_its_text(runner, store_prefix, make_run, sample_artifacts):
    make_run(store_prefix, TAG, sample_artifacts)
    result = runner.invoke(app, ["cat", TAG, "Training loss.csv", "--prefix", store_prefix])
    assert result.exit_code == 0, result.output
    assert result.stdout == sample_artifacts["Training loss.csv"]


def test_binary_artifacts_come_out_byte_for_byte(runner, local_prefix, make_run):
    payload = bytes(range(256)) * 4
    make_run(local_prefix, TAG, {"model.pt": payload})
    result = runner.invoke(app, ["cat", TAG, "model.pt", "--prefix", local_prefix])
    assert result.stdout_bytes == payload


def test_a_patch_is_plain_when_piped(runner, local_prefix, make_run, sample_artifacts):
    make_run(local_prefix, TAG, sample_artifacts)
    result = runner.invoke(app, ["cat", TAG, "Source.git-patch", "--prefix", local_prefix])
    assert result.stdout == sample_artifacts["Source.git-patch"]


def test_a_patch_is_coloured_on_a_terminal(runner, local_prefix, make_run, sample_artifacts):
    make_run(local_prefix, TAG, sample_artifacts)
    result = runner.invoke(app, ["cat", TAG, "Source.git-patch", "--prefix", local_prefix], env={"FORCE_COLOR": "1"})
    assert "\x1b[" in result.stdout
    assert re.sub(r"\x1b\[[0-9;]*m", "", result.stdout) == sample_artifacts["Source.git-patch"]


def test_no_color_keeps_a_patch_plain_on_a_terminal(runner, local_prefix, make_run, sample_artifacts):
    make_run(local_prefix, TAG, sample_artifacts)
    env = {"FORCE_COLOR": "1", "NO_COLOR": "1"}
    result = runner.invoke(app, ["cat", TAG, "Source.git-patch", "--prefix", local_prefix], env=env)
    assert result.stdout == sample_artifacts["Source.git-patch"]


def test_a_series_still_in_segments_is_assembled(runner, local_prefix, running_series_run):
    running_series_run(TAG)
    result = runner.invoke(app, ["cat", TAG, "loss.csv", "--prefix", local_prefix])
    assert result.stdout == "epoch,loss,Date\n1,2.0,2024-01-01T10:00:00Z\n2,1.0,2024-01-01T10:01:00Z\n"


def test_an_unknown_artifact_exits_1_naming_close_ones(runner, local_prefix, make_run, sample_artifacts):
    make_run(local_prefix, TAG, sample_artifacts)
    result = runner.invoke(app, ["cat", TAG, "Training los.csv", "--prefix", local_prefix])
    assert result.exit_code == 1
    assert "'Training loss.csv'" in result.stderr and result.stdout == ""


def test_the_reserved_run_record_is_not_an_artifact(runner, local_prefix, make_run):
    make_run(local_prefix, TAG)
    result = runner.invoke(app, ["cat", TAG, ".lab-workbook/run.json", "--prefix", local_prefix])
    assert result.exit_code == 1
