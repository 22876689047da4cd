"""The run record (``<tag>/.lab-workbook/run.json``): its field names, status words and parsing.

The writer writes the record, the reader, the CLI and the dashboard read it; the names
they agree on live here, once (``docs/format.md`` describes each field). What a reader
*reports* (``crashed`` for a stale heartbeat, ``unknown`` without a record) is the
reader's interpretation, but its words are defined here too, so that a ``--status``
option and a runs table accept the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
import json
import re
import secrets
from typing import Any, TypedDict

from .errors import CorruptArtifactError

__all__ = [
    "CRASHED",
    "FAILED",
    "FINAL_STATUSES",
    "FINISHED",
    "INTERRUPTED",
    "RECORD_FIELDS",
    "RECORD_FORMAT",
    "RECORD_FORMAT_VERSION",
    "RUNNING",
    "STATUSES",
    "UNKNOWN",
    "UNREADABLE",
    "WRITTEN_STATUSES",
    "RunRecordFields",
    "artifact_mismatch",
    "complete_artifacts",
    "is_final",
    "new_nonce",
    "parse_record",
    "record_nonce",
]

#: The record's ``format`` field: identifies the object.
RECORD_FORMAT = "lab-workbook/run"
#: The record's ``format_version``: bumped on incompatible changes only.
RECORD_FORMAT_VERSION = 1

# What a writer writes in ``status``.
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
INTERRUPTED = "interrupted"
# What a reader reports besides: a stale heartbeat, no record (the original tool), a damaged record.
CRASHED = "crashed"
UNKNOWN = "unknown"
UNREADABLE = "unreadable"

#: The statuses a writer records.
WRITTEN_STATUSES = (RUNNING, FINISHED, FAILED, INTERRUPTED)
#: Statuses after which a run never changes again (its objects can be cached for good).
FINAL_STATUSES = frozenset({FINISHED, FAILED, INTERRUPTED})
#: Every status a reader reports, in the order they are listed to users.
STATUSES = (RUNNING, FINISHED, FAILED, INTERRUPTED, CRASHED, UNKNOWN, UNREADABLE)


class RunRecordFields(TypedDict, total=False):
    """The run record's fields (``docs/format.md``), in the order the writer writes them.

    ``summary`` is in final records only and ``environment`` once captured; readers
    ignore fields they do not know, and writers add fields only within a format version.
    ``nonce`` (random, made once per run by :func:`new_nonce`) tells this run's record
    from another writer's that claimed the same tag; records written before it existed
    have none, and readers never need it.
    """

    format: str
    format_version: int
    tag: str | None
    status: str
    started: str
    ended: str | None
    heartbeat: str | None
    heartbeat_interval: float
    description: str | None
    error: dict[str, str] | None
    host: str
    user: str | None
    pid: int
    argv: list[str]
    cwd: str
    python: str
    torch: str | None
    cuda_devices: list[str] | None
    git_commit: str | None
    env: dict[str, str]
    writer_version: str
    nonce: str
    artifacts: dict[str, dict[str, Any]]
    summary: dict[str, Any]
    environment: dict[str, Any]


#: Every field name of the record, in the writer's order.
RECORD_FIELDS: tuple[str, ...] = tuple(RunRecordFields.__annotations__)


def parse_record(data: bytes, tag: str) -> dict[str, Any]:
    """The record's fields from its bytes; ``{}`` for empty bytes (no record).

    Raises:
        CorruptArtifactError: the bytes are not a JSON object; the message names the run.
    """
    if not data:
        return {}
    try:
        record = json.loads(data)
    except ValueError as err:
        raise CorruptArtifactError(f"the run record of {tag} is not valid JSON: {err}") from err
    if not isinstance(record, dict):
        raise CorruptArtifactError(f"the run record of {tag} is not a JSON object")
    return record


def new_nonce() -> str:
    """A fresh claim nonce: 128 random bits (from :mod:`secrets`, never the seeded global state), as hex."""
    return secrets.token_hex(16)


def record_nonce(data: bytes) -> str | None:
    """The ``nonce`` of a run record's bytes; ``None`` for a record without one or bytes that are no record."""
    try:
        record = json.loads(data)
    except ValueError:
        return None
    nonce = record.get("nonce") if isinstance(record, dict) else None
    return nonce if isinstance(nonce, str) else None


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def artifact_mismatch(record: Mapping[str, Any], name: str, data: bytes) -> str | None:
    """Why ``data`` is not the artifact ``name`` the record lists, or ``None`` (it is, or nothing is listed).

    The record's ``artifacts[name]["sha256"]`` is the SHA-256 (lowercase hex) of the bytes the
    writer saved; an entry without a well-formed digest is not checked.
    """
    artifacts = record.get("artifacts")
    facts = artifacts.get(name) if isinstance(artifacts, Mapping) else None
    listed = facts.get("sha256") if isinstance(facts, Mapping) else None
    if not isinstance(listed, str) or not _SHA256.match(listed):
        return None
    actual = hashlib.sha256(data).hexdigest()
    if actual == listed:
        return None
    return (
        f"{name} does not match its run record (SHA-256 {actual[:12]}... stored, {listed[:12]}... recorded): "
        "another writer may have written it (a tag claimed twice on a store without conditional writes)"
    )


def is_final(record: Mapping[str, Any]) -> bool:
    """Whether the record says the run is over (``finished``, ``failed`` or ``interrupted``)."""
    return record.get("status") in FINAL_STATUSES


def complete_artifacts(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The record's ``artifacts`` when it is complete, else ``None`` (list the run's folder instead).

    A final record carrying a ``summary`` was written at close by a writer that keeps
    ``artifacts`` complete, so a name absent from it is an artifact the run does not have.
    """
    artifacts = record.get("artifacts")
    if is_final(record) and isinstance(record.get("summary"), Mapping) and isinstance(artifacts, Mapping):
        return artifacts
    return None
