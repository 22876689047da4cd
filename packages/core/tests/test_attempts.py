"""A run's attempts, its parent and the latest-attempt rule (``lab_workbook_core.attempts``, ``docs/format.md``)."""

from datetime import UTC, datetime
import math

from hypothesis import given
from hypothesis import strategies as st
from lab_workbook_core import CorruptArtifactError, InvalidValueError
from lab_workbook_core.attempts import (
    Attempt,
    Parent,
    attempt_count,
    attempt_number,
    latest_attempt_rows,
    record_attempts,
    record_parent,
)
from lab_workbook_core.keys import attempt_claim_key, is_reserved, parse_attempt_claim_key, writer_claim_key
from lab_workbook_core.record import RunRecord, record_problems
import pytest

T1, T2, T3 = "2026-01-01T00:00:00.000000Z", "2026-01-01T01:00:00.000000Z", "2026-01-01T02:00:00.000000Z"
RESUMED = {
    "status": "finished",
    "started": T1,
    "ended": T3,
    "host": "node-7",
    "pid": 42,
    "attempts": [
        {"attempt": 1, "started": T1, "ended": T2, "host": "node-3", "pid": 7, "status": "crashed", "error": None},
        {
            "attempt": 2,
            "started": T2,
            "ended": T3,
            "host": "node-7",
            "pid": 42,
            "status": "finished",
            "error": None,
        },
    ],
}


# -- the latest-attempt rule ----------------------------------------------------------------------
def test_a_step_logged_again_by_a_later_attempt_keeps_only_the_later_rows():
    assert latest_attempt_rows([0, 1, 2, 1, 2, 3], [None, None, None, 2, 2, 2]) == [1, 0, 0, 1, 1, 1]


def test_a_series_never_resumed_keeps_every_row_repeated_steps_included():
    assert latest_attempt_rows([0, 0, 1], [None, "", "nil"]) == [True, True, True]


def test_a_step_only_an_earlier_attempt_logged_is_kept():
    assert latest_attempt_rows([0, 5, 1], [1, 1, 2]) == [True, True, True]


def test_every_missing_index_value_is_one_value():
    assert latest_attempt_rows([math.nan, None, 1], [1, 2, 1]) == [False, True, True]


def test_a_row_count_that_differs_from_the_attempt_count_is_an_error():
    with pytest.raises(ValueError, match="one per row"):
        latest_attempt_rows([0, 1], [1])


@pytest.mark.parametrize("cell", [None, "", "nil", math.nan])
def test_a_row_without_an_attempt_value_is_attempt_1(cell):
    assert attempt_number(cell) == 1


@pytest.mark.parametrize("cell", ["2", 2, 2.0, " 3 "])
def test_an_attempt_value_is_read_as_its_integer(cell):
    assert attempt_number(cell) in (2, 3)


@pytest.mark.parametrize("cell", ["x", 2.5, 0, "-1", True])
def test_a_value_that_is_no_attempt_number_is_refused(cell):
    with pytest.raises(ValueError, match="not an attempt number"):
        attempt_number(cell)


def _reference(index, attempts):
    """The rule as docs/format.md states it, written the slow way."""
    numbers = [1 if a is None else a for a in attempts]
    return [numbers[i] == max(n for j, n in enumerate(numbers) if index[j] == index[i]) for i in range(len(index))]


rows = st.lists(st.tuples(st.integers(0, 6), st.one_of(st.none(), st.integers(1, 4))), max_size=40)


@given(rows)
def test_the_rule_keeps_for_each_index_value_exactly_the_rows_of_its_highest_attempt(pairs):
    index = [i for i, _ in pairs]
    attempts = [a for _, a in pairs]
    kept = latest_attempt_rows(index, attempts)
    assert kept == _reference(index, attempts)
    assert {i for i, k in zip(index, kept, strict=True) if k} == set(index)  # no index value is lost


# -- the record: attempts and parent -------------------------------------------------------------
def test_a_resumed_runs_attempts_are_listed_in_order_with_their_facts():
    first, second = record_attempts(RESUMED)
    assert first == Attempt(
        1, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC), "node-3", 7, "crashed", None
    )
    assert (second.attempt, second.host, second.status) == (2, "node-7", "finished")


def test_a_record_without_attempts_is_one_attempt_described_by_its_own_fields():
    record = {k: v for k, v in RESUMED.items() if k != "attempts"} | {"error": {"type": "E", "message": "m"}}
    assert record_attempts(record) == [
        Attempt(
            1,
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2026, 1, 1, 2, tzinfo=UTC),
            "node-7",
            42,
            "finished",
            {"type": "E", "message": "m"},
        )
    ]


def test_the_attempt_count_is_the_length_of_attempts_and_one_without_them():
    assert attempt_count(RESUMED) == 2
    assert attempt_count({"status": "finished"}) == 1
    assert attempt_count({}) == 1  # a run of the original tool ran once


def test_a_forked_runs_parent_is_its_tag_and_step():
    assert record_parent({"status": "running", "parent": {"tag": "base", "step": 20000}}) == Parent("base", 20000)
    assert record_parent({"status": "running", "parent": {"tag": "base", "step": None}}) == Parent("base", None)
    assert record_parent({"status": "running"}) is None


def test_a_record_with_attempts_and_a_parent_of_the_right_shapes_has_no_problem():
    assert record_problems(RESUMED | {"parent": {"tag": "base", "step": 3}}) == []


def test_an_attempt_that_is_not_an_object_is_a_problem_of_the_record():
    assert record_problems({"status": "running", "attempts": [{"attempt": 1}, 2]}) == [
        "has attempt 2 2 in 'attempts' (an integer; an object expected)"
    ]


def test_attempts_that_are_not_a_list_and_a_parent_without_a_tag_are_problems():
    problems = record_problems({"status": "running", "attempts": {}, "parent": {"step": 1}})
    assert any("'attempts'" in p and "a list expected" in p for p in problems)
    assert any("'parent'" in p and "without a 'tag'" in p for p in problems)


# -- keys ---------------------------------------------------------------------------------------
def test_an_attempt_claim_key_has_four_digits_under_the_reserved_folder():
    key = attempt_claim_key("run-1", 2)
    assert key == "run-1/.lab-workbook/attempt-0002.json"
    assert is_reserved(key.removeprefix("run-1/"))
    assert attempt_claim_key("run-1", 12345) == "run-1/.lab-workbook/attempt-12345.json"


@pytest.mark.parametrize("attempt", [1, 0, True, 2.0])
def test_attempt_1_has_no_claim_key_and_a_non_integer_is_refused(attempt):
    with pytest.raises(InvalidValueError, match="attempt 2 or later"):
        attempt_claim_key("run-1", attempt)


@given(st.integers(2, 10**6))
def test_an_attempt_claim_key_parses_back_to_its_attempt(attempt):
    assert parse_attempt_claim_key("run-1", attempt_claim_key("run-1", attempt)) == attempt


@pytest.mark.parametrize(
    "key",
    [
        "run-1/.lab-workbook/run.json",
        "run-1/.lab-workbook/attempt-2.json",
        "run-1/.lab-workbook/attempt-0001.json",
        "run-2/.lab-workbook/attempt-0002.json",
        "run-1/.lab-workbook/attempt-000x.json",
        "run-1/attempt-0002.json",
    ],
)
def test_other_keys_are_no_attempt_claims(key):
    assert parse_attempt_claim_key("run-1", key) is None


def test_a_run_record_holds_attempts_and_parent_and_the_helpers_read_it():
    record = RunRecord.from_mapping(RESUMED | {"parent": {"tag": "base", "step": 3}})
    assert record_attempts(record) == record_attempts(RESUMED)
    assert attempt_count(record) == 2
    assert record_parent(record) == Parent("base", 3)
    assert record.to_mapping()["attempts"] == RESUMED["attempts"]


def test_a_run_record_with_an_attempt_that_is_no_object_is_refused():
    with pytest.raises(CorruptArtifactError, match="attempt 1"):
        RunRecord.from_mapping({"status": "running", "attempts": ["x"]})


def test_replacing_attempts_on_a_run_record_adds_them_in_cores_order():
    record = RunRecord.from_mapping({"status": "running", "artifacts": {}}).replace(attempts=RESUMED["attempts"])
    assert attempt_count(record) == 2
    assert list(record.to_mapping()) == ["status", "artifacts", "attempts"]
    assert attempt_count(None) == 1 and record_attempts(None) == [] and record_parent(None) is None


def test_a_rank_claims_its_folder_once_per_attempt():
    tag = "202612070000-abcdefghij"
    assert writer_claim_key(tag, "rank1") == f"{tag}/.lab-workbook/writers/rank1.json"  # as before attempts
    assert writer_claim_key(tag, "rank1", 2) == f"{tag}/.lab-workbook/writers/attempt-0002/rank1.json"
    with pytest.raises(InvalidValueError, match="at least 1"):
        writer_claim_key(tag, "rank1", 0)
