"""``list``, ``show`` and ``diff`` tell a resumed run's attempts and a forked run's parent (stores per docs/format.md)."""

import json

from builders import StoreBuilder, attempt_entries, tag_minute
from lab_workbook_cli import app

RESUMED = "202401011000-resumedAAA"
ORDINARY = "202401010900-ordinaryAA"
CHILD = "202401011100-forkedAAAA"
SERIES = "step,loss,Attempt,Date\r\n0,1.0,,2024-01-01T10:00:00Z\r\n1,0.9,,2024-01-01T10:01:00Z\r\n1,0.4,2,2024-01-01T11:00:00Z\r\n"


def _store(prefix):
    store = StoreBuilder(prefix)
    store.put(RESUMED, "loss.csv", SERIES)
    store.record(RESUMED, started=tag_minute(RESUMED), attempts=attempt_entries(["interrupted", "finished"]))
    store.record(ORDINARY, started=tag_minute(ORDINARY))
    store.record(CHILD, started=tag_minute(CHILD), parent={"tag": RESUMED, "step": 1})
    return store


def test_list_json_has_every_runs_attempt_count_and_parent(runner, store_prefix):
    _store(store_prefix)
    rows = json.loads(runner.invoke(app, ["list", "--json", "--prefix", store_prefix]).stdout)
    assert {r["tag"]: r["attempts"] for r in rows} == {RESUMED: 2, ORDINARY: 1, CHILD: 1}
    assert {r["tag"]: r["parent"] for r in rows}[CHILD] == {"tag": RESUMED, "step": 1}


def test_list_shows_an_attempts_column_when_a_run_was_resumed(runner, local_prefix):
    _store(local_prefix)
    out = runner.invoke(app, ["list", "--prefix", local_prefix]).stdout
    assert "attempts" in out.splitlines()[0]
    assert any(line.startswith(RESUMED) and " 2 " in line for line in out.splitlines())


def test_list_has_no_attempts_column_when_no_run_was_resumed(runner, local_prefix):
    StoreBuilder(local_prefix).record(ORDINARY, started=tag_minute(ORDINARY))
    assert "attempts" not in runner.invoke(app, ["list", "--prefix", local_prefix]).stdout


def test_show_lists_each_attempt_of_a_resumed_run(runner, local_prefix):
    _store(local_prefix)
    out = runner.invoke(app, ["show", RESUMED, "--prefix", local_prefix]).stdout
    assert "attempt 1" in out and "interrupted" in out and "node-1" in out and "Preempted: SIGTERM" in out
    assert "attempt 2" in out and "node-2" in out


def test_show_json_has_the_count_the_list_and_the_latest_attempts_last_values(runner, store_prefix):
    _store(store_prefix)
    data = json.loads(runner.invoke(app, ["show", RESUMED, "--json", "--prefix", store_prefix]).stdout)
    assert data["attempts"] == 2
    assert [a["status"] for a in data["attempt_list"]] == ["interrupted", "finished"]
    assert data["series"]["loss.csv"]["rows"] == 2 and data["series"]["loss.csv"]["last"]["loss"] == 0.4


def test_show_names_a_forked_runs_parent_and_step(runner, local_prefix):
    _store(local_prefix)
    out = runner.invoke(app, ["show", CHILD, "--prefix", local_prefix]).stdout
    assert f"{RESUMED} at step 1" in out
    assert "attempt 1" not in out  # one attempt: nothing to list


def test_diff_of_a_run_and_its_parent_says_it_was_forked_from_it(runner, local_prefix):
    _store(local_prefix)
    out = runner.invoke(app, ["diff", RESUMED, CHILD, "--prefix", local_prefix]).stdout
    assert out.splitlines()[0] == f"{CHILD} was forked from {RESUMED} at step 1"


def test_diff_json_names_the_parent_of_each_run(runner, local_prefix):
    _store(local_prefix)
    data = json.loads(runner.invoke(app, ["diff", ORDINARY, CHILD, "--json", "--prefix", local_prefix]).stdout)
    assert data["parents"] == {"before": None, "after": {"tag": RESUMED, "step": 1}}
