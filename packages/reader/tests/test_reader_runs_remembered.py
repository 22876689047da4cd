"""A finished run's row is built once per repository; a run still going is read again at every table."""

import pandas as pd

A, R = "202601010000-rememberAA", "202601020000-rememberRR"
CSV = "epoch,error,Date\n1,0.5,2026-01-01T00:00:01Z\n2,0.25,2026-01-01T00:00:02Z\n"
PARAMS = '{"lr": 0.1}'


def test_a_finished_runs_row_costs_no_request_the_second_time(store):
    store.finished(A, {"parameters.json": PARAMS, "Testing Error.csv": CSV})  # no summary: artifacts are read
    wb = store.repository(cache=False, refresh_seconds=0)
    first = wb.runs()
    wb.storage.requests.clear()
    second = wb.runs()
    pd.testing.assert_frame_equal(first, second)
    assert wb.storage.requests["get"] == 0
    assert second.set_index("tag").loc[A, "error.best"] == 0.25


def test_a_running_runs_row_is_built_again_until_it_is_over(store):
    store.put(R, "parameters.json", PARAMS)
    store.record(R, "running")
    wb = store.repository(cache=False, refresh_seconds=0)
    assert wb.runs().set_index("tag").loc[R, "status"] == "running"
    store.finished(R, {"parameters.json": '{"lr": 0.5}', "Testing Error.csv": CSV})
    row = wb.runs().set_index("tag").loc[R]
    assert (row["status"], row["params.lr"], row["error.last"]) == ("finished", 0.5, 0.25)


def test_remembered_rows_still_obey_the_status_and_time_filters(store):
    store.finished(A, {"parameters.json": PARAMS})
    wb = store.repository(cache=False)
    assert len(wb.runs()) == 1
    assert wb.runs(status="running").empty
    assert wb.runs(until="2026-01-02").empty  # the record says it started later than its tag
    assert list(wb.runs(status="finished")["tag"]) == [A]
