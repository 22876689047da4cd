"""The dashboard shows a resumed run's attempts and a forked run's parent (HTTP JSON API, served on 127.0.0.1)."""

from __future__ import annotations

from urllib.parse import quote

from builders import attempt_entries
from dashboard_http import get_json

RESUMED_CSV = "step,loss,Attempt,Date\r\n0,1.0,,2026-01-05T08:00:00Z\r\n1,0.9,,2026-01-05T08:00:01Z\r\n1,0.5,2,2026-01-05T09:00:00Z\r\n"


def _rows(table):
    return [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]


def test_the_runs_table_counts_each_runs_attempts_on_both_backends(any_run_store, serve):
    resumed = any_run_store.run(0, points=0, attempts=attempt_entries(["crashed", "interrupted", "finished"]))
    ordinary = any_run_store.run(1, points=0)
    rows = _rows(get_json(serve(any_run_store.prefix), "/api/runs"))
    assert {r["tag"]: r["attempts"] for r in rows} == {resumed: 3, ordinary: 1}


def test_a_resumed_runs_series_in_the_table_is_the_latest_attempts(run_store, serve):
    run_store.run(
        0, points=0, extra={"Training loss.csv": RESUMED_CSV}, attempts=attempt_entries(["crashed", "finished"])
    )
    [row] = _rows(get_json(serve(run_store.prefix), "/api/runs?series=" + quote("Training loss.csv:loss")))
    assert row["loss.last"] == 0.5 and row["loss.best"] == 0.5


def test_a_run_page_lists_the_attempts_and_the_parent(run_store, serve):
    parent = run_store.run(0, points=0)
    child = run_store.run(
        1, points=0, parent={"tag": parent, "step": 200}, attempts=attempt_entries(["crashed", "finished"])
    )
    run = get_json(serve(run_store.prefix), "/api/run/" + quote(child))
    assert run["parent"] == {"tag": parent, "step": 200}
    assert [(a["attempt"], a["status"], a["host"]) for a in run["attempts"]] == [
        (1, "crashed", "node-1"),
        (2, "finished", "node-2"),
    ]


def test_a_run_that_is_neither_resumed_nor_forked_has_one_attempt_and_no_parent(run_store, serve):
    tag = run_store.run(0, points=0)
    run = get_json(serve(run_store.prefix), "/api/run/" + quote(tag))
    assert run["parent"] is None and len(run["attempts"]) == 1


def test_the_diff_of_a_run_with_its_parent_says_it_was_forked_from_it(run_store, serve):
    parent = run_store.run(0, points=0)
    child = run_store.run(1, points=0, parent={"tag": parent, "step": 200})
    diff = get_json(serve(run_store.prefix), f"/api/diff?a={quote(parent)}&b={quote(child)}")
    assert diff["lineage"] == [f"{child} was forked from {parent} at step 200"]
