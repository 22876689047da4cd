"""``lab-workbook show``: record, artifacts with sizes, parameters, last values of series."""

import json

from lab_workbook_cli import app

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


def _damage(prefix, tag, data: bytes):
    from lab_workbook_core import load_config, open_storage
    from lab_workbook_core.keys import run_record_key

    open_storage(load_config(prefix)).put_bytes(run_record_key(tag), data)


def test_an_unreadable_record_shows_its_reason_and_the_artifacts_still_show(runner, local_prefix, make_run):
    make_run(local_prefix, TAG, {"parameters.json": '{"lr": 0.1}'})
    _damage(local_prefix, TAG, b'["finished"]')
    result = runner.invoke(app, ["show", TAG, "--prefix", local_prefix])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.split()[:2] == ["status", "unreadable"] for line in lines)
    assert any(line.split()[0] == "problem" and "is not a JSON object (it is a list)" in line for line in lines)
    assert any(line.split()[:2] == ["lr", "0.1"] for line in lines)


def test_json_names_every_problem_of_the_run(runner, local_prefix, make_run):
    make_run(local_prefix, TAG, {"loss.csv": ""})
    _damage(local_prefix, TAG, b"")
    result = runner.invoke(app, ["show", TAG, "--json", "--prefix", local_prefix])
    data = json.loads(result.stdout)
    assert data["status"] == "unreadable" and len(data["problems"]) == 2
    assert data["problems"][0] == f"the run record of {TAG} is empty (0 bytes)"
    assert data["problems"][1].startswith(f"{TAG}/loss.csv is not a time series")
    assert data["problem"] == "; ".join(data["problems"])
    assert "loss.csv is not a time series" in result.stderr  # warned as before


def test_a_healthy_run_has_no_problem(runner, local_prefix, make_run, sample_artifacts):
    make_run(local_prefix, TAG, sample_artifacts)
    data = json.loads(runner.invoke(app, ["show", TAG, "--json", "--prefix", local_prefix]).stdout)
    assert (data["problem"], data["problems"]) == (None, [])
    assert "problem" not in runner.invoke(app, ["show", TAG, "--prefix", local_prefix]).stdout
