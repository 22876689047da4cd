"""The runs table from finished records' summaries: one GET per run, then none in a new process."""

import json

import pandas as pd

A, B, R = "202601010000-summAAAAAA", "202601020000-summBBBBBB", "202601030000-summRRRRRR"
CSV = "epoch,error,Date\n1,0.5,2026-01-01T00:00:01Z\n2,0.25,2026-01-01T00:00:02Z\n3,0.375,2026-01-01T00:00:03Z\n"


def _summary(error=None, params=None):
    fields = {"epoch": {"last": 3, "min": 1, "max": 3}, "error": error or {"last": 0.375, "min": 0.25, "max": 0.5}}
    return {
        "json": {"parameters.json": params or {"lr": 0.1, "model": {"depth": 20}}},
        "series": {"Testing Error.csv": {"rows": 3, "fields": fields}},
    }


def _summarised(store, tag, **summary):
    artifacts = {"parameters.json": {"size": 1, "sha256": ""}, "Testing Error.csv": {"size": 1, "sha256": ""}}
    for name, data in {"parameters.json": '{"lr": 0.1, "model": {"depth": 20}}', "Testing Error.csv": CSV}.items():
        store.put(tag, name, data)
    store.record(tag, "finished", summary=_summary(**summary), artifacts=artifacts)


def test_a_summarised_run_costs_one_get(store):
    _summarised(store, A)
    wb = store.repository()
    table = wb.runs().set_index("tag")
    assert table.loc[A, "params.model.depth"] == 20
    assert (table.loc[A, "error.last"], table.loc[A, "error.best"]) == (0.375, 0.25)
    assert wb.storage.requests["get"] == 1


def test_the_summary_gives_the_same_row_as_the_artifacts(store):
    _summarised(store, A)
    store.finished(B, {"parameters.json": '{"lr": 0.1, "model": {"depth": 20}}', "Testing Error.csv": CSV})
    table = store.repository().runs().set_index("tag").drop(columns=["started", "duration"])
    pd.testing.assert_series_equal(table.loc[A], table.loc[B], check_names=False)


def test_summary_infinities_are_floats_and_best_can_be_the_maximum(store):
    _summarised(store, A, error={"last": "inf", "min": 0.25, "max": "inf"})
    table = store.repository().runs(best="max").set_index("tag")
    assert table.loc[A, "error.last"] == float("inf") and table.loc[A, "error.best"] == float("inf")


def test_an_artifact_absent_from_a_summarised_record_is_nan_without_a_request(store):
    _summarised(store, A)
    wb = store.repository()
    table = wb.runs("other.json", {"Missing.csv": "loss"}).set_index("tag")
    assert pd.isna(table.loc[A, "loss.last"])
    assert wb.storage.requests["get"] == 1


def test_a_field_that_is_not_numbers_is_read_from_the_series(store):
    _summarised(store, A, error=None)
    record = json.loads(store.storage.get_bytes(f"{A}/.lab-workbook/run.json"))
    record["summary"]["series"]["Testing Error.csv"]["fields"]["error"] = None
    store.storage.put_bytes(f"{A}/.lab-workbook/run.json", json.dumps(record).encode())
    wb = store.repository()
    assert wb.runs().set_index("tag").loc[A, "error.best"] == 0.25
    assert wb.storage.requests["get"] == 2  # the record, then the series


def test_a_new_repository_reads_finished_records_with_no_request(store):
    _summarised(store, A)
    _summarised(store, B)
    first = store.repository().runs()
    wb = store.repository()
    wb.storage.requests.clear()
    second = wb.runs()
    pd.testing.assert_frame_equal(first, second)
    assert wb.storage.requests["get"] == 0
    assert wb.storage.requests["list"] == 1  # the listing of the prefix (one page)


def test_a_running_run_is_read_again_each_time(store):
    _summarised(store, A)
    store.record(R, "running")
    store.repository().runs()
    wb = store.repository()
    wb.storage.requests.clear()
    assert wb.runs().set_index("tag").loc[R, "status"] == "running"
    assert wb.storage.requests["get"] >= 1


def test_clearing_the_cache_forgets_the_records(store):
    _summarised(store, A)
    store.repository().runs()
    wb = store.repository()
    wb.clear_cache()
    wb.storage.requests.clear()
    wb.runs()
    assert wb.storage.requests["get"] == 1
