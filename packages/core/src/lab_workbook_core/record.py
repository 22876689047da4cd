"""The run record (``<tag>/.lab-workbook/run.json``): its field names, status words and parsing.

The writer writes the record, the reader, the CLI and the dashboard read it; the names
they agree on live here, once (``docs/format.md`` describes each field). What a reader
*reports* (``crashed`` for a stale heartbeat, ``unknown`` without a record, ``unreadable``
for a record :func:`parse_record` refuses) is the reader's interpretation, but its words are defined here too, so that a ``--status``
option and a runs table accept the same ones.

Two encodings of values JSON has no type for are here too, each written and read by
one pair of functions: times (:func:`format_time`, :func:`parse_time`) and the
summary's infinities (:func:`encode_summary_number`, :func:`decode_summary_number`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
import functools
import hashlib
import json
import math
import re
import secrets
import types
from typing import Any, TypedDict, Union, get_args, get_origin, get_type_hints

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
    "decode_summary_number",
    "encode_summary_number",
    "format_time",
    "is_final",
    "new_nonce",
    "parse_record",
    "parse_time",
    "record_nonce",
    "record_problems",
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
    have none, and readers never need it. ``attempts`` (one object per attempt, from 1) is
    there once a run was resumed, ``parent`` (``{"tag", "step"}``) for a run made with
    ``fork=TAG``: :mod:`lab_workbook_core.attempts` reads both.
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
    attempts: list[dict[str, Any]]
    parent: dict[str, Any]
    summary: dict[str, Any]
    environment: dict[str, Any]


#: Every field name of the record, in the writer's order.
RECORD_FIELDS: tuple[str, ...] = tuple(RunRecordFields.__annotations__)


def parse_record(data: bytes, tag: str) -> dict[str, Any]:
    """The record's fields from its bytes (a run without a record has no bytes to parse: no call).

    Raises:
        CorruptArtifactError: the bytes are empty, not JSON, not a JSON object, or a field
            has the wrong type (:func:`record_problems`); the message names the run and every
            problem, so that a reader can show it as the run's ``unreadable`` reason.
    """
    if not data:
        raise CorruptArtifactError(f"the run record of {tag} is empty (0 bytes)")
    try:
        record = json.loads(data)
    except ValueError as err:  # UnicodeDecodeError included
        raise CorruptArtifactError(f"the run record of {tag} is not valid JSON: {err}") from err
    problems = record_problems(record)
    if problems:
        raise CorruptArtifactError(f"the run record of {tag} " + "; ".join(problems))
    return record  # type: ignore[no-any-return]  # a dict: record_problems checked it


def record_problems(record: Any) -> list[str]:
    """Why a decoded JSON value is not a run record a reader can trust; ``[]`` when it is one.

    Each problem reads after "the run record of TAG": ``is not a JSON object (it is a list)``,
    ``has no 'status'``, ``has 'status' 5 (an integer; a string expected)``, ``has 'status'
    "done" (not one of running, finished, failed, interrupted)``. Fields are checked against the types of
    :class:`RunRecordFields` (``docs/format.md``); a field may be absent (older writers, or not
    written yet) except ``status``, and fields this version does not know are ignored.
    """
    if not isinstance(record, dict):
        return [f"is not a JSON object (it is {_json_type(record)})"]
    problems = []
    if "status" not in record:
        problems.append("has no 'status'")
    kinds = _field_types()
    for name, value in record.items():
        allowed = kinds.get(name)
        if allowed is not None and type(value) not in allowed:  # type(): JSON's true is not an integer
            kind = "" if value is None else f"{_json_type(value)}; "
            problems.append(f"has {name!r} {_shown(value)} ({kind}{_expected(allowed)} expected)")
    status = record.get("status")
    if isinstance(status, str) and status not in WRITTEN_STATUSES:
        problems.append(f"has 'status' {_shown(status)} (not one of {', '.join(WRITTEN_STATUSES)})")
    return problems + _nested_problems(record)


def _nested_problems(record: Mapping[str, Any]) -> list[str]:
    """What is wrong inside ``attempts`` (each an object) and ``parent`` (a ``tag`` string, an integer ``step``)."""
    problems = []
    attempts = record.get("attempts")
    if isinstance(attempts, list):
        for place, entry in enumerate(attempts, start=1):
            if not isinstance(entry, dict):
                problems.append(
                    f"has attempt {place} {_shown(entry)} in 'attempts' ({_json_type(entry)}; an object expected)"
                )
    parent = record.get("parent")
    if isinstance(parent, dict):
        if not isinstance(parent.get("tag"), str) or not parent["tag"]:
            problems.append(f"has 'parent' {_shown(parent)} without a 'tag' (a run's tag expected)")
        step = parent.get("step")
        if step is not None and (type(step) is not int or step < 0):
            problems.append(
                f"has 'parent' {_shown(parent)} with 'step' {_shown(step)} (a non-negative integer or null expected)"
            )
    return problems


@functools.cache
def _field_types() -> dict[str, frozenset[type]]:
    """``{field: the Python types its JSON value may decode to}``, from :class:`RunRecordFields`."""
    found = {}
    for name, hint in get_type_hints(RunRecordFields).items():
        options = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
        kinds = {get_origin(option) or option for option in options}
        found[name] = frozenset(kinds | {int} if float in kinds else kinds)  # a JSON number may be 30 or 30.0
    return found


_JSON_TYPES = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _expected(allowed: frozenset[type]) -> str:
    names = [name for kind, name in _JSON_TYPES.items() if kind in allowed and not (kind is int and float in allowed)]
    return " or ".join(names)


def _shown(value: Any) -> str:
    """The value as JSON, shortened: enough to recognise it in a message."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


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


def format_time(moment: datetime | None = None, *, trim: bool = False) -> str:
    """A moment (now by default) as the record writes times: ``2016-02-14T23:41:05.250113Z``.

    Always UTC with six fractional digits and ``Z``, so that the record's times sort as text
    as they do as moments. A naive ``datetime`` is taken to be UTC.

    Args:
        moment: the moment; ``None`` for now.
        trim: leave out a zero fraction (``2016-02-14T23:41:05Z``), as the CLI's ``--json``
            shows times; never in a record.
    """
    moment = datetime.now(UTC) if moment is None else moment
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    m = moment  # not strftime: its %Y leaves years before 1000 unpadded on some platforms
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
    return f"{text}Z" if trim and not m.microsecond else f"{text}.{m.microsecond:06d}Z"


def parse_time(value: Any) -> datetime | None:
    """A record's time as an aware UTC ``datetime``; ``None`` for anything that is not one.

    Any ISO 8601 form Python reads is accepted (other writers: ``Z`` or an offset, with or
    without fraction); a time without an offset is UTC.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_INFINITIES = {"inf": math.inf, "-inf": -math.inf}


def encode_summary_number(value: int | float) -> int | float | str:
    """A summary number as JSON can hold it: the infinities as the strings ``"inf"`` and ``"-inf"``."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def decode_summary_number(value: Any) -> int | float:
    """A summary number (:func:`encode_summary_number`) back: ``NaN`` for ``null`` (no value) or anything else."""
    if isinstance(value, str):
        return _INFINITIES.get(value, math.nan)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return math.nan
