"""``lab-workbook show``: record, artifacts with sizes, parameters, last values of series."""

import json

from lab_workbook_cli.app import app

TAG = "202401011000-aaaaaaaaaa"


def test_json_has_record_artifacts_parameters_and_last_values(runner, store_prefix, make_run, sample_artifacts):
    make_run(store_prefix, TAG, sample_artifacts, description="baseline")
    result = runner.invoke(app, ["show", TAG, "--json", "--prefix", store_prefix])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["tag"], data["status"], data["description"]) == (TAG, "finished", "baseline")
    assert data["record"]["host"] == "gpu-box"
    sizes = {a["name"]: a["size"] for a in data["artifacts"]}
    assert sizes["parameters.json"] == len(sample_artifacts["parameters.json"])
    assert data["parameters"] == {"learningRate": 0.1, "momentum": 0.9}
    last = data["series"]["Training loss.csv"]
    assert last["rows"] == 3
    assert last["last"]["epoch"] == 3 and last["last"]["loss"] == 0.5 and last["last"]["gradientNorm"] == 0.75


def test_table_shows_parameters_and_last_loss(runner, local_prefix, make_run, sample_artifacts):
    make_run(local_prefix, TAG, sample_artifacts)
    out = runner.invoke(app, ["show", "latest", "--prefix", local_prefix]).stdout
    assert "learningRate" in out and "0.1" in out
    assert any(line.split()[:2] == ["loss", "0.5"] for line in out.splitlines())


def test_a_running_series_in_segments_is_shown(runner, local_prefix, running_series_run):
    running_series_run(TAG)
    data = json.loads(runner.invoke(app, ["show", TAG, "--json", "--prefix", local_prefix]).stdout)
    assert [a["name"] for a in data["artifacts"]] == ["loss.csv"]
    assert data["series"]["loss.csv"]["last"]["loss"] == 1.0


def test_a_series_in_segments_has_the_size_of_its_segments_and_says_so(runner, local_prefix, running_series_run):
    running_series_run(TAG)  # two segments of 43 bytes each (conftest.SEGMENTED_SERIES)
    data = json.loads(runner.invoke(app, ["show", TAG, "--json", "--prefix", local_prefix]).stdout)
    assert data["artifacts"] == [{"name": "loss.csv", "size": 86, "in_segments": True}]


def test_a_failed_run_shows_its_error(runner, local_prefix, make_run):
    from lab_workbook_core import load_config, open_storage
    from lab_workbook_core.keys import run_record_key

    make_run(local_prefix, TAG, status="failed")
    storage = open_storage(load_config(local_prefix))
    record = json.loads(storage.get_bytes(run_record_key(TAG)))
    record["error"] = {"type": "ValueError", "message": "loss is NaN"}
    storage.put_bytes(run_record_key(TAG), json.dumps(record).encode())
    assert "ValueError: loss is NaN" in runner.invoke(app, ["show", TAG, "--prefix", local_prefix]).stdout


def test_an_unknown_tag_exits_1(runner, local_prefix, make_run):
    make_run(local_prefix, TAG)
    result = runner.invoke(app, ["show", "2023", "--prefix", local_prefix])
    assert result.exit_code == 1 and result.stderr.startswith("error: no experiment '2023'")
