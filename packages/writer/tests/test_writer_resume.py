"""new_experiment(resume=...): the arguments it refuses, and a resumed series' layout (issue 23)."""

from __future__ import annotations

import json

from lab_workbook_core import ExperimentNotFound, InvalidValueError, load_config, open_storage
from lab_workbook_core.keys import segments_prefix
from lab_workbook_core.record import RunRecord
from lab_workbook_writer import new_experiment
import pytest


def test_resume_auto_without_a_tag_is_refused_naming_tag_and_the_variable(local_prefix, tmp_path, monkeypatch):
    monkeypatch.delenv("LAB_WORKBOOK_TAG", raising=False)
    with pytest.raises(InvalidValueError, match=r"pass tag=.*LAB_WORKBOOK_TAG"):
        new_experiment(local_prefix, resume="auto", spool_dir=tmp_path / "spool")


def test_resume_and_a_different_tag_are_refused(local_prefix, tmp_path):
    with pytest.raises(InvalidValueError, match="name two runs"):
        new_experiment(local_prefix, tag="a", resume="b", spool_dir=tmp_path / "spool")


def test_resume_and_fork_together_are_refused(local_prefix, tmp_path):
    with pytest.raises(InvalidValueError, match="pass one of them"):
        new_experiment(local_prefix, fork="a", resume="b", spool_dir=tmp_path / "spool")


def test_resuming_a_tag_the_store_does_not_have_raises_experiment_not_found(store_prefix, tmp_path):
    with pytest.raises(ExperimentNotFound, match="resume='auto'"):
        new_experiment(store_prefix, resume="nowhere", spool_dir=tmp_path / "spool")


def _interrupted(prefix: str, tmp_path, rows: range) -> None:
    wb = new_experiment(prefix, tag="job", spool_dir=tmp_path / "spool", capture_environment=False)
    log = wb.new_time_series_log("train", ["step", "loss"])
    for step in rows:
        log(step=step, loss=step / 10)
    wb.note_exception(KeyboardInterrupt())
    wb.close()


def test_a_resumed_series_continues_the_final_csv_with_the_attempt_before_date(store_prefix, tmp_path):
    _interrupted(store_prefix, tmp_path, range(3))
    storage = open_storage(load_config(store_prefix))
    before = storage.get_bytes("job/train.csv")
    wb = new_experiment(store_prefix, resume="job", spool_dir=tmp_path / "spool", capture_environment=False)
    assert wb.attempt == 2
    log = wb.new_time_series_log("train", ["step", "loss"])
    log(step=2, loss=0.25)
    log({"step": 3, "loss": "n/a"})  # the general path carries the attempt too
    assert wb.flush()
    segments = sorted(o.key for o in storage.list(segments_prefix("job", "train.csv"), delimiter=None).objects)
    assert [key.rsplit("/", 1)[1] for key in segments] == ["00000001.csv", "00000002.csv"]
    assert storage.get_bytes(segments[0]) == before  # the stored final CSV, sent first as a segment
    assert storage.get_bytes("job/train.csv") == before  # rewritten only at close
    second = storage.get_bytes(segments[1]).decode().splitlines()
    assert second[0] == "step,loss,Attempt,Date"
    assert second[1].startswith("2,0.25,2,") and second[2].startswith("3,n/a,2,")
    assert wb.close()
    final = storage.get_bytes("job/train.csv").decode().splitlines()
    assert final[0] == "step,loss,Attempt,Date"
    assert [line.split(",")[:3] for line in final[1:]] == [
        ["0", "0.0", ""],
        ["1", "0.1", ""],
        ["2", "0.2", ""],
        ["2", "0.25", "2"],
        ["3", "n/a", "2"],
    ]
    assert not storage.list(segments_prefix("job", "train.csv"), delimiter=None).objects
    summary = json.loads(storage.get_bytes("job/.lab-workbook/run.json"))["summary"]["series"]["train.csv"]
    assert summary["rows"] == 4  # the default frame: step 2 of attempt 1 superseded
    assert summary["fields"]["step"] == {"last": 3, "min": 0, "max": 3}
    assert summary["fields"]["loss"] is None  # "n/a": not only numbers
    record = RunRecord.parse(storage.get_bytes("job/.lab-workbook/run.json"), "job")
    assert [entry["status"] for entry in record.attempts or ()] == ["interrupted", "finished"]


def test_a_resumed_record_keeps_the_runs_description_artifacts_and_start(store_prefix, tmp_path):
    first = new_experiment(
        store_prefix, tag="kept", description="lr 3e-4", spool_dir=tmp_path / "spool", capture_environment=False
    )
    first.save_json("parameters", {"lr": 3e-4})
    first.note_exception(RuntimeError("diverged"))
    first.close()
    storage = open_storage(load_config(store_prefix))
    before = RunRecord.parse(storage.get_bytes("kept/.lab-workbook/run.json"), "kept")
    with new_experiment(store_prefix, resume="kept", spool_dir=tmp_path / "spool", capture_environment=False):
        pass
    record = RunRecord.parse(storage.get_bytes("kept/.lab-workbook/run.json"), "kept")
    assert record.description == "lr 3e-4" and "parameters.json" in (record.artifacts or {})
    assert record.started == before.started and record.nonce != before.nonce
    failed, finished = record.attempts or ()
    assert failed["status"] == "failed" and failed["error"] == {"type": "RuntimeError", "message": "diverged"}
    assert failed["ended"] == before.ended and finished["status"] == "finished"
