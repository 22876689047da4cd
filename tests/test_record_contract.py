"""The run record has one definition (``lab_workbook_core.record``): the writer writes it, the
shared test builder imitates it, and the reader reads both the same way."""

from __future__ import annotations

import json

from builders import StoreBuilder, run_record
from lab_workbook import ExperimentRepository
from lab_workbook_core import load_config, open_storage
from lab_workbook_core.keys import run_record_key
from lab_workbook_core.record import FINISHED, RECORD_FIELDS, RECORD_FORMAT, RECORD_FORMAT_VERSION, WRITTEN_STATUSES
from lab_workbook_writer import new_experiment
import pytest


def _in_core_order(fields: list[str]) -> bool:
    return fields == [name for name in RECORD_FIELDS if name in fields]


def test_the_writer_writes_only_core_fields_in_core_order(local_prefix):
    with new_experiment(local_prefix, capture_environment=False) as wb:
        wb.save_json("parameters", {"lr": 0.1})
    record = json.loads(open_storage(load_config(local_prefix)).get_bytes(run_record_key(wb.tag)))
    assert set(record) <= set(RECORD_FIELDS), set(record) - set(RECORD_FIELDS)
    assert _in_core_order(list(record))
    assert (record["format"], record["format_version"], record["status"]) == (
        RECORD_FORMAT,
        RECORD_FORMAT_VERSION,
        FINISHED,
    )
    assert record["status"] in WRITTEN_STATUSES


def test_the_test_builder_writes_what_the_writer_writes_at_start():
    fields = list(run_record("202601010000-builderAAA"))
    assert _in_core_order(fields)
    # written at close, once captured, once resumed, for a fork
    assert set(RECORD_FIELDS) - set(fields) == {"summary", "environment", "attempts", "parent"}


def test_a_built_run_and_a_written_run_read_the_same(local_prefix):
    with new_experiment(local_prefix, description="written") as wb:
        wb.save_json("parameters", {"lr": 0.1})
    built = StoreBuilder(local_prefix).finished("209901010000-builtAAAAA", {"parameters.json": '{"lr": 0.1}'})
    repository = ExperimentRepository(local_prefix, cache=False)
    written_exp, built_exp = repository[wb.tag], repository[built]
    assert written_exp.status == built_exp.status == FINISHED
    assert written_exp["parameters.json"] == built_exp["parameters.json"]
    assert written_exp.duration is not None and built_exp.duration is not None


def test_every_record_the_writer_writes_passes_the_readers_checks(local_prefix):
    from lab_workbook_core.record import record_problems

    storage = open_storage(load_config(local_prefix))
    records = []
    with pytest.raises(ValueError), new_experiment(local_prefix, description="contract") as wb:
        records.append(json.loads(storage.get_bytes(run_record_key(wb.tag))))  # the claim, at start
        wb.save_json("parameters", {"lr": 0.1})
        log = wb.new_time_series_log("loss", ["epoch", "loss"])
        log(epoch=1, loss=0.5)
        raise ValueError("loss is NaN")
    records.append(json.loads(storage.get_bytes(run_record_key(wb.tag))))  # final: failed, with summary
    assert records[0]["status"] == "running" and records[1]["status"] == "failed"
    assert [record_problems(record) for record in records] == [[], []]
    exp = ExperimentRepository(local_prefix)[wb.tag]
    assert (exp.status, exp.problems) == ("failed", [])


def test_the_writer_lays_its_record_out_as_it_did_before_run_record(local_prefix):
    """Same fields in the same order, same JSON layout as lab-workbook-writer 0.1.0 (a record it wrote)."""
    from pathlib import Path

    from lab_workbook_core.record import RunRecord

    before = (Path(__file__).parents[1] / "packages/core/tests/data/run-by-writer-0.1.0.json").read_bytes()
    with new_experiment(local_prefix, description="fixture: é", env_allowlist=("HOME",)) as wb:
        wb.save_json("parameters.json", {"learningRate": 0.1, "model": {"depth": 20}})
        log = wb.new_time_series_log("Training loss.csv", ["epoch", "loss", "phase"])
        log(epoch=1, loss=float("inf"), phase="a")
    data = open_storage(load_config(local_prefix)).get_bytes(run_record_key(wb.tag))
    assert list(json.loads(data)) == list(json.loads(before))
    assert data == (json.dumps(json.loads(data), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    assert RunRecord.parse(data, wb.tag).to_json_bytes() == data
