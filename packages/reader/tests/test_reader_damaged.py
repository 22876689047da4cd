"""Damaged runs are named, never hidden: ``unreadable`` with the reason, a ``problem`` column, skipped melds."""

from lab_workbook import CorruptArtifactError, UnreadableRunsWarning
from lab_workbook_core.keys import run_record_key
import pandas as pd
import pytest

A, B, C = "202601010000-damgAAAAAA", "202601010001-damgBBBBBB", "202601010002-damgCCCCCC"
ORIGINAL = "201602142341-mn5SvgNxHY"
DAMAGED_CSV = ""  # an upload cut short: not even a header


def _series(values):
    return "epoch,error,Date\n" + "".join(f"{i},{v},2026-01-01T00:00:0{i}Z\n" for i, v in enumerate(values))


def _damage_record(store, tag, data: bytes):
    store.storage.put_bytes(run_record_key(tag), data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "is empty (0 bytes)"),
        (b'{"status": ', "is not valid JSON"),
        (b'["finished"]', "is not a JSON object (it is a list)"),
        (b'{"status": 5, "started": "2026-01-01T00:00:00Z"}', "has 'status' 5 (an integer; a string expected)"),
    ],
)
def test_a_damaged_record_is_unreadable_with_the_reason(store, data, reason):
    store.finished(A, {"parameters.json": "{}"})
    _damage_record(store, A, data)
    exp = store.repository()[A]
    assert exp.status == "unreadable"
    assert len(exp.problems) == 1 and exp.problems[0].startswith(f"the run record of {A} {reason}")
    assert exp.problem == exp.problems[0] and exp.info == {}


def test_a_record_with_several_wrong_fields_names_each(store):
    store.record(A, status=5, pid="1234")
    (problem,) = store.repository()[A].problems
    assert "'status' 5 (an integer; a string expected)" in problem
    assert "'pid' \"1234\" (a string; an integer expected)" in problem


def test_a_run_without_a_record_is_unknown_and_has_no_problem(store):
    store.original(ORIGINAL)
    exp = store.repository()[ORIGINAL]
    assert exp.status == "unknown" and exp.problems == [] and exp.problem is None


def test_a_repaired_record_is_read_again_and_its_problem_is_gone(store):
    store.record(A)
    _damage_record(store, A, b"")
    wb = store.repository(refresh_seconds=0)
    assert wb[A].status == "unreadable"
    store.record(A)
    assert wb[A].status == "finished" and wb[A].problems == []


def test_an_artifact_that_cannot_be_parsed_is_a_problem_of_its_run_until_it_reads(store):
    store.finished(A, {"parameters.json": "{not json"})
    exp = store.repository()[A]
    with pytest.raises(CorruptArtifactError):
        exp["parameters.json"]
    assert exp.status == "finished"
    assert len(exp.problems) == 1 and exp.problems[0].startswith(f"{A}/parameters.json is not valid JSON")
    store.put(A, "parameters.json", '{"lr": 0.1}')
    assert exp["parameters.json"] == {"lr": 0.1} and exp.problems == []


def test_a_problem_noted_by_another_check_is_listed_after_the_records(store):
    store.record(A)
    _damage_record(store, A, b"")
    exp = store.repository()[A]
    exp.note_problem("model.pt", "model.pt does not match the sha256 of the run record", check="sha256")
    assert exp.problems == [
        f"the run record of {A} is empty (0 bytes)",
        "model.pt does not match the sha256 of the run record",
    ]
    exp.clear_problem("model.pt", check="sha256")
    assert exp.problems == [f"the run record of {A} is empty (0 bytes)"]


def test_an_artifact_that_parses_keeps_what_another_check_found(store):
    store.finished(A, {"parameters.json": '{"lr": 0.1}'})
    exp = store.repository()[A]
    exp.note_problem("parameters.json", "parameters.json does not match its sha256", check="sha256")
    assert exp["parameters.json"] == {"lr": 0.1}
    assert exp.problems == ["parameters.json does not match its sha256"]


def test_a_notebook_shows_the_problems_of_a_run_under_its_status(store):
    store.record(A)
    _damage_record(store, A, b"[]")
    html = store.repository()[A]._repr_html_()
    assert "unreadable" in html and f"the run record of {A} is not a JSON object (it is a list)" in html


# -- the runs table -----------------------------------------------------------------------------


def test_the_runs_table_has_a_problem_column_empty_for_healthy_runs(store):
    store.finished(A, {"Testing Error.csv": _series([0.5])})
    store.original(ORIGINAL)
    table = store.repository().runs()
    assert list(table.columns[:7]) == ["tag", "status", "started", "duration", "attempts", "description", "problem"]
    assert table["problem"].tolist() == ["", ""]


def test_a_damaged_record_keeps_its_row_with_the_reason_and_the_others_are_whole(store):
    store.finished(A, {"Testing Error.csv": _series([0.5, 0.3])})
    store.finished(B, {"Testing Error.csv": _series([0.2])})
    _damage_record(store, B, b"")
    with pytest.warns(UnreadableRunsWarning, match=f"1 run could not be read.*the run record of {B} is empty"):
        table = store.repository().runs().set_index("tag")
    assert table.loc[A, "status"] == "finished" and table.loc[A, "problem"] == "" and table.loc[A, "error.best"] == 0.3
    assert (
        table.loc[B, "status"] == "unreadable"
        and table.loc[B, "problem"] == f"the run record of {B} is empty (0 bytes)"
    )
    assert table.loc[B, "error.last"] == 0.2  # its artifacts still read


def test_a_damaged_series_is_nan_with_the_reason_in_the_problem_column(store):
    store.finished(A, {"Testing Error.csv": _series([0.5, 0.3])})
    store.finished(B, {"Testing Error.csv": DAMAGED_CSV})
    with pytest.warns(UnreadableRunsWarning, match=f"{B}/Testing Error.csv"):
        table = store.repository().runs().set_index("tag")
    assert table.loc[B, "status"] == "finished" and pd.isna(table.loc[B, "error.last"])
    assert table.loc[B, "problem"].startswith(f"{B}/Testing Error.csv is not a time series: it has no header")
    assert table.loc[A, "error.last"] == 0.3


def test_one_warning_names_every_run_that_cannot_be_read(store, recwarn):
    store.finished(A, {"Testing Error.csv": DAMAGED_CSV})
    store.record(B)
    _damage_record(store, B, b"[]")
    store.finished(C, {"Testing Error.csv": _series([0.5])})
    store.repository().runs()
    (warning,) = [w for w in recwarn if issubclass(w.category, UnreadableRunsWarning)]
    assert "2 runs could not be read" in str(warning.message)
    assert A in str(warning.message) and B in str(warning.message) and C not in str(warning.message)


def test_a_table_of_healthy_runs_warns_nothing(store, recwarn):
    store.finished(A, {"Testing Error.csv": _series([0.5])})
    store.repository().runs()
    assert not [w for w in recwarn if issubclass(w.category, UnreadableRunsWarning)]


def test_strict_runs_raise_on_a_damaged_record(store):
    store.record(A)
    _damage_record(store, A, b"")
    with pytest.raises(CorruptArtifactError, match=f"the run record of {A} is empty"):
        store.repository().runs(strict=True)


def test_strict_runs_raise_on_a_damaged_series(store):
    store.finished(A, {"Testing Error.csv": DAMAGED_CSV})
    with pytest.raises(CorruptArtifactError, match=r"Testing Error\.csv is not a time series: it has no header"):
        store.repository().runs(strict=True)


def test_an_unreadable_run_is_not_kept_as_finished_and_shows_once_repaired(store):
    store.record(A, description="baseline")
    _damage_record(store, A, b'{"status": 5}')
    with pytest.warns(UnreadableRunsWarning):
        assert store.repository().runs()["status"].tolist() == ["unreadable"]
    store.record(A, description="baseline")
    table = store.repository().runs()  # a new process: reads the kept rows from disk first
    assert table["status"].tolist() == ["finished"] and table["problem"].tolist() == [""]
    assert table["description"].tolist() == ["baseline"]


def test_a_finished_run_with_a_damaged_series_is_read_again_until_it_is_repaired(store):
    store.finished(A, {"Testing Error.csv": DAMAGED_CSV})
    with pytest.warns(UnreadableRunsWarning):
        store.repository().runs()
    store.put(A, "Testing Error.csv", _series([0.5, 0.25]))
    table = store.repository().runs()
    assert table["error.best"].tolist() == [0.25] and table["problem"].tolist() == [""]


def test_the_original_tools_run_reads_as_before_in_the_runs_table(store, recwarn):
    store.original(ORIGINAL)
    row = store.repository().runs().iloc[0]
    assert (row["status"], row["problem"], row["error.best"]) == ("unknown", "", 0.4875)
    assert row["params.dataRoot"] == "/mnt/data/cifar10/"
    assert not [w for w in recwarn if issubclass(w.category, UnreadableRunsWarning)]


# -- meld_csv -----------------------------------------------------------------------------------


def test_meld_leaves_out_a_damaged_series_with_one_warning_naming_it(store):
    store.finished(A, {"loss.csv": _series([0.5, 0.4])})
    store.finished(B, {"loss.csv": DAMAGED_CSV})
    store.finished(C, {"loss.csv": _series([0.3])})
    with pytest.warns(
        UnreadableRunsWarning, match=rf"left out 1 of 3 runs .*{B}/loss.csv is not a time series: it has no header"
    ):
        melded = store.repository().meld_csv({A: "a", B: "b", C: "c"}, "loss.csv", "error")
    assert list(melded.columns) == ["a", "c"] and melded["a"].tolist() == [0.5, 0.4]


def test_strict_meld_raises_on_a_damaged_series(store):
    store.finished(A, {"loss.csv": _series([0.5])})
    store.finished(B, {"loss.csv": DAMAGED_CSV})
    with pytest.raises(CorruptArtifactError, match=f"{B}/loss.csv"):
        store.repository().meld_csv([A, B], "loss.csv", "error", strict=True)


def test_meld_reads_the_series_of_a_run_whose_record_is_damaged(store, recwarn):
    store.finished(A, {"loss.csv": _series([0.5])})
    _damage_record(store, A, b"")
    assert store.repository().meld_csv([A], "loss.csv", "error")[A].tolist() == [0.5]
    assert not [w for w in recwarn if issubclass(w.category, UnreadableRunsWarning)]


def test_meld_of_only_damaged_runs_is_empty_with_the_warning(store):
    store.finished(A, {"loss.csv": DAMAGED_CSV})
    with pytest.warns(UnreadableRunsWarning):
        assert store.repository().meld_csv([A], "loss.csv", "error").empty
