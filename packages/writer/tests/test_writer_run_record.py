"""The run record: claimed at start, alive while running, the outcome and artifacts at close, no secrets."""

from datetime import datetime
import hashlib
import json
import os
import re
import sys
import time
import uuid

from lab_workbook_core import AlreadyExists, InvalidValueError
from lab_workbook_writer import DEFAULT_ENV_ALLOWLIST, new_experiment
import pytest

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$")


def test_new_experiment_prints_the_tag_plainly_when_stdout_is_not_a_terminal(tmp_path, capsys):
    wb = new_experiment(tmp_path / "store")
    wb.close()
    assert capsys.readouterr().out == f"Experiment Tag: {wb.tag}\n"


def test_the_tag_is_claimed_with_a_running_record_before_anything_else(store):
    wb = new_experiment(store.prefix, description="lr sweep, nesterov")
    record = store.record(wb.tag)
    assert (record["status"], record["tag"], record["description"]) == ("running", wb.tag, "lr sweep, nesterov")
    assert record["ended"] is None and ISO.match(record["started"])
    wb.close()


def test_a_chosen_tag_is_used_once(store):
    tag = f"my-run-{uuid.uuid4().hex[:6]}"
    new_experiment(store.prefix, tag=tag).close()
    with pytest.raises(AlreadyExists, match="already used"):
        new_experiment(store.prefix, tag=tag)


def test_the_record_says_where_and_how_the_script_ran(store, monkeypatch, torch):
    for variable in DEFAULT_ENV_ALLOWLIST:  # whatever the test runner's environment holds
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    monkeypatch.setenv("SOME_OTHER_VARIABLE", "not recorded")

    with new_experiment(store.prefix) as wb:
        pass
    record = store.record(wb.tag)
    assert record["format"] == "lab-workbook/run" and record["format_version"] == 1
    assert (record["pid"], record["argv"], record["cwd"]) == (os.getpid(), sys.argv, os.getcwd())
    assert record["python"] == ".".join(map(str, sys.version_info[:3]))
    assert record["torch"] == torch.__version__
    seen = (
        [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    )
    assert record["cuda_devices"] == seen  # what torch sees, on a CPU or a CUDA build alike
    assert record["host"] and record["user"]
    assert record["env"] == {"CUDA_VISIBLE_DEVICES": "0,1"}
    assert record["heartbeat_interval"] == 30.0
    assert record["writer_version"]


def test_a_clean_exit_is_recorded_as_finished_with_an_end_time(store):
    with new_experiment(store.prefix) as wb:
        pass
    record = store.record(wb.tag)
    assert (record["status"], record["error"]) == ("finished", None)
    assert datetime.fromisoformat(record["ended"][:-1]) >= datetime.fromisoformat(record["started"][:-1])


def test_an_exception_is_recorded_as_failed_with_its_type_and_message(store):
    with pytest.raises(ZeroDivisionError), new_experiment(store.prefix) as wb:
        1 / 0  # noqa: B018
    record = store.record(wb.tag)
    assert record["status"] == "failed"
    assert record["error"] == {"type": "ZeroDivisionError", "message": "division by zero"}


def test_ctrl_c_is_recorded_as_interrupted(store):
    with pytest.raises(KeyboardInterrupt), new_experiment(store.prefix) as wb:
        raise KeyboardInterrupt
    assert store.record(wb.tag)["status"] == "interrupted"


def test_the_heartbeat_is_refreshed_while_running(store):
    wb = new_experiment(store.prefix, heartbeat_seconds=0.2)
    first = store.record(wb.tag)["heartbeat"]
    deadline = time.monotonic() + 10
    while store.record(wb.tag)["heartbeat"] == first and time.monotonic() < deadline:
        time.sleep(0.1)
    record = store.record(wb.tag)
    assert record["heartbeat"] > first and record["status"] == "running"
    wb.close()


def test_at_close_each_artifact_has_its_size_and_sha256(store, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with new_experiment(store.prefix) as wb:
        wb.save_json("parameters", {"lr": 0.1})
        wb.save_file(tmp_path / "notes.txt")
        wb.new_time_series_log("loss", ["step"])(step=1)
    artifacts = store.record(wb.tag)["artifacts"]
    assert sorted(artifacts) == ["Environment.txt", "loss.csv", "notes.txt", "parameters.json"]
    for name, facts in artifacts.items():
        data = store.bytes(wb.tag, name)
        assert facts == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_no_credential_reaches_the_store(store, monkeypatch):
    secret = f"secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("MY_API_TOKEN", secret)
    with new_experiment(store.prefix, description="no secrets") as wb:
        wb.save_json("parameters", {"lr": 0.1})
        wb.new_time_series_log("loss", ["step"])(step=1)
    assert json.loads(store.bytes(wb.tag, ".lab-workbook/run.json"))["status"] == "finished"
    assert secret.encode() not in store.everything()


def test_an_allow_list_naming_a_credential_is_refused(tmp_path):
    for name in ("AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "DB_PASSWORD"):
        with pytest.raises(InvalidValueError, match="look like credentials"):
            new_experiment(tmp_path / "store", env_allowlist=["SLURM_JOB_ID", name])


def test_the_tag_is_bold_on_a_terminal(tmp_path):
    import pty
    import subprocess

    leader, follower = pty.openpty()
    code = f"from lab_workbook_writer import new_experiment; new_experiment({str(tmp_path / 'store')!r}).close()"
    subprocess.run([sys.executable, "-c", code], stdout=follower, check=True, timeout=60)
    os.close(follower)
    output = os.read(leader, 4096).decode()
    os.close(leader)
    assert re.match(r"^\x1b\[1mExperiment Tag: \d{12}-\w{10}\x1b\[0m\r?\n", output), output
