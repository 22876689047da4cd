"""``wb.finished_rows``: rows worked out from finished runs are kept, in memory and on disk."""

import json

from lab_workbook._run_index import RunIndex
import pandas as pd
import pytest

A, B, R = "202601010000-rowsAAAAAA", "202601020000-rowsBBBBBB", "202601030000-rowsRRRRRR"
CSV = "epoch,error,Date\n1,0.5,2026-01-01T00:00:01Z\n2,0.25,2026-01-01T00:00:02Z\n"


class Rows:
    """A row function that counts the runs it was called for."""

    def __init__(self):
        self.called = []

    def __call__(self, exp):
        self.called.append(exp.tag)
        return {"tag": exp.tag, "status": exp.status, "artifacts": len(exp.list_artifacts())}


def _runs(store):
    store.finished(A, {"parameters.json": '{"lr": 0.1}'}, started="2026-01-01T00:00:30Z")
    store.finished(B, {"parameters.json": '{"lr": 0.2}', "Testing Error.csv": CSV}, started="2026-01-02T00:00:30Z")
    store.put(R, "parameters.json", '{"lr": 0.3}')
    store.record(R, "running")


def test_a_new_repository_makes_rows_only_for_runs_not_over(store):
    _runs(store)
    first_rows = Rows()
    wb = store.repository()
    first = wb.finished_rows("counts 1", [A, B, R], first_rows)
    wb.save_cache()
    assert first_rows.called == [A, B, R]
    rows, again = Rows(), store.repository()
    again.storage.requests.clear()
    assert again.finished_rows("counts 1", [R, A, B], rows) == [first[2], first[0], first[1]]
    assert rows.called == [R]  # the finished runs' rows came from disk
    assert again.storage.requests["get"] == 1  # the running run's record; nothing for A and B


def test_rows_under_another_name_are_made_again(store):
    _runs(store)
    wb = store.repository()
    wb.finished_rows("counts 1", [A, B], Rows())
    wb.save_cache()
    rows = Rows()
    store.repository().finished_rows("counts 2", [A, B], rows)
    assert rows.called == [A, B]


def test_a_row_of_none_is_not_kept(store):
    _runs(store)
    wb = store.repository()
    calls = []
    assert wb.finished_rows("maybe", [A], lambda e: calls.append(e.tag)) == [None]
    assert wb.finished_rows("maybe", [A], lambda e: calls.append(e.tag)) == [None]
    assert calls == [A, A]


def test_a_finished_runs_row_json_cannot_hold_is_an_error_that_names_the_run(store):
    _runs(store)
    with pytest.raises(TypeError, match=f"row of {A} cannot be kept as JSON"):
        store.repository().finished_rows("bad", [A], lambda e: {"when": object()})


def test_an_unreadable_record_is_not_kept(store):
    store.finished(A, {"parameters.json": "{}"})
    store.storage.put_bytes(f"{A}/.lab-workbook/run.json", b"{not json")
    wb = store.repository()
    assert wb.finished_rows("status", [A], lambda e: {"status": e.status}) == [{"status": "unreadable"}]
    wb.save_cache()
    rows = Rows()
    store.repository().finished_rows("status", [A], rows)
    assert rows.called == [A]


def test_without_a_disk_cache_rows_are_kept_by_the_repository_only(store):
    _runs(store)
    wb = store.repository(cache=False)
    wb.finished_rows("counts", [A], Rows())
    rows = Rows()
    wb.finished_rows("counts", [A], rows)
    assert rows.called == []
    wb.save_cache()
    store.repository(cache=False).finished_rows("counts", [A], rows)
    assert rows.called == [A]


def test_clearing_the_cache_forgets_kept_rows(store):
    _runs(store)
    wb = store.repository()
    wb.finished_rows("counts", [A], Rows())
    wb.save_cache()
    wb.clear_cache()
    rows = Rows()
    wb.finished_rows("counts", [A], rows)
    store.repository().finished_rows("counts", [A], rows)
    assert rows.called == [A, A]


def test_a_table_from_kept_rows_is_the_table_made_afresh(store):
    """Kept rows are JSON on disk: the frame made from them has the same values and dtypes."""
    _runs(store)
    store.finished(
        "202601040000-rowsIIIIII", {"parameters.json": '{"lr": 0.4}', "Testing Error.csv": "epoch,error\n1,inf\n"}
    )
    first = store.repository().runs()
    wb = store.repository()
    wb.storage.requests.clear()
    second = wb.runs(status={"finished"})
    pd.testing.assert_frame_equal(first[first["status"] == "finished"].reset_index(drop=True), second)
    assert wb.storage.requests["get"] == 1  # the running run's record, to filter it out; none for finished runs
    assert str(second["started"].dtype) == "datetime64[us, UTC]" and second["duration"].dtype.kind == "m"
    assert second.set_index("tag").loc[B, "error.best"] == 0.25
    # This call's filters apply to kept rows too.
    assert list(store.repository().runs(since="2026-01-02", until="2026-01-02T00:01")["tag"]) == [B]
    assert list(store.repository().runs(status="running")["tag"]) == [R]


def test_kept_rows_of_many_choices_do_not_fill_the_disk(store, monkeypatch):
    monkeypatch.setattr("lab_workbook._run_index.MAX_ROW_FILES", 3)
    _runs(store)
    wb = store.repository()
    for n in range(6):
        wb.finished_rows(f"choice {n}", [A], lambda e: {"n": 1})
        wb.save_cache()
    folder = wb._source.cache.root
    assert len(list(folder.glob("*.rows.json"))) == 3


def test_an_index_file_that_is_damaged_is_read_as_empty(tmp_path):
    path = tmp_path / "x.rows.json"
    path.write_text("[1, 2")
    index = RunIndex(path)
    assert index.get(A) is None
    index.add(A, {"n": 1})
    index.save()
    assert json.loads(path.read_text()) == {A: {"n": 1}}


def test_a_kept_row_is_not_returned_once_its_run_is_gone(store):
    from lab_workbook import ExperimentNotFound

    _runs(store)
    wb = store.repository()
    wb.finished_rows("counts", [A], Rows())
    wb.save_cache()
    store.storage.delete([o.key for o in store.storage.list(f"{A}/", delimiter=None).objects])
    with pytest.raises(ExperimentNotFound):
        store.repository().finished_rows("counts", [A], Rows())


def test_changing_a_returned_row_does_not_change_the_kept_one(store):
    _runs(store)
    wb = store.repository()
    wb.finished_rows("counts", [A], Rows())[0]["artifacts"] = "changed"
    assert wb.finished_rows("counts", [A], Rows())[0]["artifacts"] == 1


def test_with_no_tags_it_reads_the_kept_rows_and_sends_nothing(store):
    _runs(store)
    wb = store.repository()
    wb.finished_rows("counts", [A], Rows())
    wb.save_cache()
    again = store.repository()
    again.storage.requests.clear()
    assert again.finished_rows("counts", [], Rows()) == []
    assert sum(again.storage.requests.values()) == 0  # not even the listing
    for kept in again._source.cache.root.glob("*.rows.json"):
        kept.unlink()  # the rows were read before: they answer from memory
    rows = Rows()
    again.finished_rows("counts", [A], rows)
    assert rows.called == []
