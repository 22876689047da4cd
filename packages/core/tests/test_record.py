"""The run record's names and parsing, defined once for every package."""

from __future__ import annotations

import hashlib

from lab_workbook_core import CorruptArtifactError
from lab_workbook_core.record import (
    ENDED_STATUSES,
    FINAL_STATUSES,
    RECORD_FIELDS,
    STATUSES,
    WRITTEN_STATUSES,
    RunRecord,
    new_nonce,
    record_nonce,
    record_problems,
)
import pytest

_EMPTY = hashlib.sha256(b"{}").hexdigest()


def test_every_written_status_is_one_a_reader_reports_and_only_finished_is_final():
    assert set(WRITTEN_STATUSES) <= set(STATUSES)
    assert set(WRITTEN_STATUSES) - {"running"} == ENDED_STATUSES
    assert {"finished"} == FINAL_STATUSES  # a failed or interrupted run may be resumed: it can change
    assert {"crashed", "unknown", "unreadable"} == set(STATUSES) - set(WRITTEN_STATUSES)


def test_record_fields_follow_the_documented_order():
    assert RECORD_FIELDS[:4] == ("format", "format_version", "tag", "status")
    assert {"heartbeat", "heartbeat_interval", "git_commit", "artifacts", "summary", "environment"} <= set(
        RECORD_FIELDS
    )
    assert len(set(RECORD_FIELDS)) == len(RECORD_FIELDS)


def test_parse_reads_an_object_and_keeps_fields_it_does_not_know():
    record = RunRecord.parse(b'{"status": "finished", "later": 1}', "t")
    assert record.status == "finished" and record.extra == {"later": 1}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "is empty (0 bytes)"),
        (b"{not json", "is not valid JSON"),
        (b"\xff\xfe", "is not valid JSON"),
        (b"[1, 2]", "is not a JSON object (it is a list)"),
        (b'"finished"', "is not a JSON object (it is a string)"),
        (b"{}", "has no 'status'"),
        (b'{"status": 5}', "has 'status' 5 (an integer; a string expected)"),
        (b'{"status": "done"}', "has 'status' \"done\" (not one of running, finished, failed, interrupted)"),
    ],
)
def test_a_damaged_record_is_a_corrupt_artifact_naming_the_run_and_the_reason(data: bytes, reason: str):
    with pytest.raises(CorruptArtifactError) as raised:
        RunRecord.parse(data, "201602142341-abc")
    assert str(raised.value).startswith(f"the run record of 201602142341-abc {reason}")


def test_every_field_of_the_wrong_type_is_named_with_its_value_and_the_type_expected():
    record = {"status": "finished", "pid": True, "started": None, "heartbeat_interval": "30", "artifacts": []}
    assert record_problems(record) == [
        "has 'pid' true (a boolean; an integer expected)",
        "has 'started' null (a string expected)",
        "has 'heartbeat_interval' \"30\" (a string; a number expected)",
        "has 'artifacts' [] (a list; an object expected)",
    ]


def test_null_where_the_format_allows_it_and_whole_numbers_for_numbers_are_fine():
    record = {"status": "running", "ended": None, "description": None, "torch": None, "heartbeat_interval": 30}
    assert record_problems(record) == []


def test_a_long_value_is_shortened_in_the_reason():
    (problem,) = record_problems({"status": "finished", "description": ["x" * 200]})
    assert len(problem) < 100 and problem.startswith("has 'description' [\"xxx") and "..." in problem


def test_artifacts_are_complete_only_in_a_final_record_with_a_summary():
    artifacts = {"a.json": {"size": 2}}

    def complete(**fields: object) -> object:
        return RunRecord.from_mapping(fields).complete_artifacts()

    assert complete(status="finished", summary={}, artifacts=artifacts) == artifacts
    assert complete(status="running", summary={}, artifacts=artifacts) is None
    assert complete(status="failed", artifacts=artifacts) is None  # an older writer


@pytest.mark.parametrize(
    ("status", "ended", "final"),
    [("interrupted", True, False), ("failed", True, False), ("finished", True, True), ("running", False, False)],
)
def test_a_record_is_final_only_once_finished_and_ended_once_closed(status: str, ended: bool, final: bool):
    record = RunRecord(status=status)
    assert (record.has_ended, record.is_final) == (ended, final)


def test_nonces_are_fresh_and_read_back_from_a_record():
    first, second = new_nonce(), new_nonce()
    assert first != second and len(first) == 32
    assert record_nonce(b'{"nonce": "%s"}' % first.encode()) == first


@pytest.mark.parametrize("data", [b'{"status": "running"}', b"", b"[1]", b"{bad", b'{"nonce": 5}'])
def test_a_record_without_a_nonce_has_none(data: bytes):
    assert record_nonce(data) is None


def test_an_artifact_whose_bytes_match_the_recorded_sha256_has_no_mismatch():
    record = RunRecord.from_mapping({"status": "finished", "artifacts": {"p.json": {"size": 2, "sha256": _EMPTY}}})
    assert record.artifact_mismatch("p.json", b"{}") is None


def test_an_artifact_whose_bytes_differ_from_the_recorded_sha256_is_named():
    record = RunRecord.from_mapping({"status": "finished", "artifacts": {"p.json": {"size": 2, "sha256": _EMPTY}}})
    assert "p.json does not match its run record" in (record.artifact_mismatch("p.json", b"[]") or "")


@pytest.mark.parametrize("fields", [{}, {"artifacts": {}}, {"artifacts": {"p.json": {"sha256": ""}}}])
def test_an_artifact_without_a_wellformed_recorded_sha256_is_not_checked(fields: dict):
    record = RunRecord.from_mapping({"status": "finished", **fields})
    assert record.artifact_mismatch("p.json", b"anything") is None
