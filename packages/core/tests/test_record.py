"""The run record's names and parsing, defined once for every package."""

from __future__ import annotations

import hashlib

from lab_workbook_core import CorruptArtifactError
from lab_workbook_core.record import (
    FINAL_STATUSES,
    RECORD_FIELDS,
    STATUSES,
    WRITTEN_STATUSES,
    artifact_mismatch,
    complete_artifacts,
    is_final,
    new_nonce,
    parse_record,
    record_nonce,
)
import pytest


def test_every_written_status_is_one_a_reader_reports_and_only_the_ends_are_final():
    assert set(WRITTEN_STATUSES) <= set(STATUSES)
    assert set(WRITTEN_STATUSES) - {"running"} == FINAL_STATUSES
    assert {"crashed", "unknown", "unreadable"} == set(STATUSES) - set(WRITTEN_STATUSES)


def test_record_fields_follow_the_documented_order():
    assert RECORD_FIELDS[:4] == ("format", "format_version", "tag", "status")
    assert {"heartbeat", "heartbeat_interval", "git_commit", "artifacts", "summary", "environment"} <= set(
        RECORD_FIELDS
    )
    assert len(set(RECORD_FIELDS)) == len(RECORD_FIELDS)


def test_parse_record_reads_an_object_and_empty_bytes_are_no_record():
    assert parse_record(b'{"status": "finished"}', "t") == {"status": "finished"}
    assert parse_record(b"", "t") == {}


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]"])
def test_a_damaged_record_is_a_corrupt_artifact_naming_the_run(data: bytes):
    with pytest.raises(CorruptArtifactError, match="run record of 201602142341-abc"):
        parse_record(data, "201602142341-abc")


def test_artifacts_are_complete_only_in_a_final_record_with_a_summary():
    artifacts = {"a.json": {"size": 2}}
    assert complete_artifacts({"status": "finished", "summary": {}, "artifacts": artifacts}) == artifacts
    assert complete_artifacts({"status": "running", "summary": {}, "artifacts": artifacts}) is None
    assert complete_artifacts({"status": "failed", "artifacts": artifacts}) is None  # an older writer
    assert is_final({"status": "interrupted"}) and not is_final({}) and not is_final({"status": "crashed"})


def test_nonces_are_fresh_and_read_back_from_a_record():
    first, second = new_nonce(), new_nonce()
    assert first != second and len(first) == 32
    assert record_nonce(b'{"nonce": "%s"}' % first.encode()) == first


@pytest.mark.parametrize("data", [b'{"status": "running"}', b"", b"[1]", b"{bad", b'{"nonce": 5}'])
def test_a_record_without_a_nonce_has_none(data: bytes):
    assert record_nonce(data) is None


def test_an_artifact_whose_bytes_match_the_recorded_sha256_has_no_mismatch():
    record = {"artifacts": {"p.json": {"size": 2, "sha256": hashlib.sha256(b"{}").hexdigest()}}}
    assert artifact_mismatch(record, "p.json", b"{}") is None


def test_an_artifact_whose_bytes_differ_from_the_recorded_sha256_is_named():
    record = {"artifacts": {"p.json": {"size": 2, "sha256": hashlib.sha256(b"{}").hexdigest()}}}
    assert "p.json does not match its run record" in (artifact_mismatch(record, "p.json", b"[]") or "")


@pytest.mark.parametrize("record", [{}, {"artifacts": {}}, {"artifacts": {"p.json": {"sha256": ""}}}, {"artifacts": 3}])
def test_an_artifact_without_a_wellformed_recorded_sha256_is_not_checked(record: dict):
    assert artifact_mismatch(record, "p.json", b"anything") is None
