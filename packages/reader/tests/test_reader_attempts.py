"""A resumed run reads as one run: each step once from its latest attempt, every row on request, its attempts listed.

The stores are built in the on-store format (``docs/format.md``, *Attempts*), as the writer
leaves a run that was killed and resumed: a record with ``attempts``, series whose later rows
carry ``Attempt``, and, while the resumed attempt runs, the earlier attempt's final CSV beside
the segments the new one writes.
"""

from builders import attempt_entries
from hypothesis import given, settings
from hypothesis import strategies as st
from lab_workbook import CorruptArtifactError
from lab_workbook._attempt_rows import latest_rows
from lab_workbook_core.attempts import Parent, latest_attempt_rows
import pandas as pd
import pytest

TAG = "202601010000-resumedAAA"
LOSS = "Training loss.csv"
# Attempt 1 logged steps 0-4 and died; attempt 2 restarted from the checkpoint of step 3 and logged 3-6.
FIRST = "step,loss,Date\r\n" + "".join(f"{s},{1.0 - s / 10},2026-01-01T00:0{s}:00Z\r\n" for s in range(5))
SECOND = "".join(f"{s},{2.0 - s / 10},2,2026-01-01T01:0{s}:00Z\r\n" for s in range(3, 7))
FINAL = "step,loss,Attempt,Date\r\n" + FIRST.split("\r\n", 1)[1].replace(",2026", ",,2026") + SECOND


def _resumed(store, **fields):
    store.put(TAG, LOSS, FINAL)
    store.record(TAG, "finished", attempts=attempt_entries(["crashed", "finished"]), **fields)


def test_the_default_frame_has_each_step_once_with_the_latest_attempts_values(store):
    _resumed(store)
    frame = store.repository()[TAG][LOSS]
    assert frame.index.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert frame["loss"].tolist() == [1.0, 0.9, 0.8, 1.7, 1.6, 1.5, 1.4]
    assert list(frame.columns) == ["loss", "Date"]


def test_attempts_all_gives_every_row_with_its_attempt_filled(store):
    _resumed(store)
    frame = store.repository()[TAG].load(LOSS, attempts="all")
    assert frame.index.tolist() == [0, 1, 2, 3, 4, 3, 4, 5, 6]
    assert frame["Attempt"].tolist() == [1, 1, 1, 1, 1, 2, 2, 2, 2]
    assert frame["Attempt"].dtype == "int64"


def test_load_series_with_fields_applies_the_rule_too(store):
    _resumed(store)
    frame = store.repository()[TAG].load_series(LOSS, ["loss"])
    assert list(frame.columns) == ["loss"]
    assert frame["loss"].tolist() == [1.0, 0.9, 0.8, 1.7, 1.6, 1.5, 1.4]


def test_the_rule_holds_when_the_frame_comes_from_the_disk_cache(local_store):
    _resumed(local_store)
    local_store.repository()[TAG].load_series(LOSS, ["loss"])  # fills the cache
    again = local_store.repository()[TAG]
    assert again.load_series(LOSS, ["loss"]).index.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert len(again.load(LOSS, attempts="all")) == 9


def test_a_series_never_resumed_is_the_same_frame_either_way(store):
    store.finished(TAG, {LOSS: FIRST})
    exp = store.repository()[TAG]
    pd.testing.assert_frame_equal(exp[LOSS], exp.load(LOSS, attempts="all"))


def test_an_unknown_attempts_choice_is_refused_at_the_call(store):
    _resumed(store)
    with pytest.raises(ValueError, match=r"'latest'.*'all'"):
        store.repository()[TAG].load(LOSS, attempts="first")


def test_an_attempt_value_that_is_no_number_is_a_problem_of_the_run(store):
    store.put(TAG, LOSS, "step,loss,Attempt,Date\r\n0,1.0,x,2026-01-01T00:00:00Z\r\n")
    store.record(TAG, "finished")
    exp = store.repository()[TAG]
    with pytest.raises(CorruptArtifactError, match="not an attempt number"):
        exp[LOSS]
    assert any("Attempt" in p for p in exp.problems)


def test_a_running_resumed_run_reads_its_segments_before_the_earlier_attempts_final_csv(store):
    # Attempt 1 closed as interrupted (its final CSV is stored); attempt 2 uploaded those bytes as its
    # next segment, then its own rows: the final CSV is stale while attempt 2 runs.
    store.put(TAG, LOSS, FIRST)
    store.segment(TAG, LOSS, 1, FIRST)
    store.segment(TAG, LOSS, 2, "step,loss,Attempt,Date\r\n" + SECOND)
    store.record(TAG, "running", attempts=attempt_entries(["interrupted", "running"]))
    frame = store.repository()[TAG][LOSS]
    assert frame.index.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert frame["loss"].tolist()[3:] == [1.7, 1.6, 1.5, 1.4]


def test_a_running_resumed_run_without_segments_yet_reads_the_final_csv(store):
    store.put(TAG, LOSS, FIRST)
    store.record(TAG, "running", attempts=attempt_entries(["interrupted", "running"]))
    assert store.repository()[TAG][LOSS].index.tolist() == [0, 1, 2, 3, 4]


def test_an_ordinary_running_run_keeps_reading_its_final_csv_first(store):
    store.put(TAG, LOSS, "step,loss,Date\r\n0,0.5,2026-01-01T00:00:00Z\r\n")
    store.segment(TAG, LOSS, 1, FIRST)
    store.record(TAG, "running")
    assert store.repository()[TAG][LOSS]["loss"].tolist() == [0.5]


def test_a_resumed_runs_attempts_are_listed_with_host_status_and_error(store):
    _resumed(store)
    attempts = store.repository()[TAG].attempts
    assert [(a.attempt, a.host, a.status) for a in attempts] == [(1, "node-1", "crashed"), (2, "node-2", "finished")]
    assert attempts[0].ended is not None and attempts[0].error is None


def test_a_run_never_resumed_has_one_attempt_from_its_record(store):
    store.finished(TAG, {}, host="gpu-box", pid=1234)
    [only] = store.repository()[TAG].attempts
    assert (only.attempt, only.host, only.pid, only.status) == (1, "gpu-box", 1234, "finished")


def test_a_forked_run_names_its_parent_and_step(store):
    store.finished(TAG, {}, parent={"tag": "202512310000-parentAAA", "step": 20000})
    assert store.repository()[TAG].parent == Parent("202512310000-parentAAA", 20000)


def test_a_run_that_is_no_fork_has_no_parent(store):
    store.finished(TAG, {})
    assert store.repository()[TAG].parent is None


def test_the_runs_table_counts_each_runs_attempts(store):
    _resumed(store)
    store.finished("202601010001-ordinaryAA", {})
    table = store.repository().runs().set_index("tag")
    assert table.loc[TAG, "attempts"] == 2
    assert table.loc["202601010001-ordinaryAA", "attempts"] == 1


def test_the_runs_table_counts_attempts_of_a_finished_run_kept_from_an_earlier_table(local_store):
    _resumed(local_store)
    local_store.repository().runs()
    assert local_store.repository().runs()["attempts"].tolist() == [2]


# -- the vectorised rule agrees with core's ------------------------------------------------------
rows = st.lists(
    st.tuples(st.one_of(st.integers(0, 5), st.just(float("nan"))), st.one_of(st.none(), st.integers(1, 3))),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(rows)
def test_the_readers_vectorised_rule_agrees_with_cores(pairs):
    index = pd.Index([i for i, _ in pairs], name="step", dtype="float64")
    frame = pd.DataFrame({"Attempt": pd.array([a for _, a in pairs], dtype="float64")}, index=index)
    expected = latest_attempt_rows(list(index), [a for _, a in pairs])
    assert latest_rows(frame, "t/s.csv").tolist() == expected


def test_the_runs_table_takes_a_resumed_runs_best_from_the_default_frame_not_its_summary(store):
    # A summary over every row of the final CSV would count attempt 1's superseded steps 3 and 4.
    summary = {"series": {LOSS: {"rows": 9, "fields": {"loss": {"last": 1.4, "min": 0.6, "max": 1.7}}}}}
    _resumed(store, artifacts={LOSS: {"size": len(FINAL)}}, summary=summary)
    [row] = store.repository().runs(series={LOSS: "loss"}).to_dict("records")
    assert (row["loss.last"], row["loss.best"]) == (1.4, 0.8)


def test_downloading_a_running_resumed_runs_series_gives_its_segments_not_the_stale_final_csv(store, tmp_path):
    store.put(TAG, LOSS, FIRST)
    store.segment(TAG, LOSS, 1, FIRST)
    store.segment(TAG, LOSS, 2, "step,loss,Attempt,Date\r\n" + SECOND)
    store.record(TAG, "running", attempts=attempt_entries(["interrupted", "running"]))
    store.repository()[TAG].download(LOSS, tmp_path / "loss.csv")
    assert (tmp_path / "loss.csv").read_bytes().decode().endswith(SECOND)


def test_a_meld_of_a_resumed_run_has_each_step_once_from_its_latest_attempt(store):
    _resumed(store)
    melded = store.repository().meld_csv([TAG], LOSS, "loss")
    assert melded.index.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert melded[TAG].tolist() == [1.0, 0.9, 0.8, 1.7, 1.6, 1.5, 1.4]


def test_a_notebook_shows_a_resumed_forked_runs_parent_and_attempts(store):
    _resumed(store, parent={"tag": "202512310000-parentAAA", "step": 3})
    html = store.repository()[TAG]._repr_html_()
    assert "202512310000-parentAAA at step 3" in html
    assert "1: crashed on node-1, 2: finished on node-2" in html
