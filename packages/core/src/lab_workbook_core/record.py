"""The run record (``<tag>/.lab-workbook/run.json``): :class:`RunRecord`, its field types and status words.

The writer writes the record, the reader, the CLI and the dashboard read it; they all
hold it as a :class:`RunRecord`, parsed and serialised here, once (``docs/format.md``
describes each field). What a reader *reports* (``crashed`` for a stale heartbeat,
``unknown`` without a record, ``unreadable`` for a record :meth:`RunRecord.parse` refuses)
is the reader's interpretation, but its words are defined here too, so that a
``--status`` option and a runs table accept the same ones.

Times are written and read by one pair of functions (:func:`format_time`, :func:`parse_time`,
from :mod:`lab_workbook_core.times` and importable from here too); the summary and its numbers
are :mod:`lab_workbook_core.summary`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import functools
import hashlib
import json
import re
import secrets
from types import MappingProxyType
from typing import Any

from .errors import CorruptArtifactError, InvalidValueError
from .summary import RunSummary, frozen_json, thawed_json
from .times import format_time, parse_time

__all__ = [
    "CRASHED",
    "DEFAULT_HEARTBEAT_SECONDS",
    "ENDED_STATUSES",
    "FAILED",
    "FINAL_STATUSES",
    "FINISHED",
    "INTERRUPTED",
    "MIN_STALE_SECONDS",
    "NULLABLE_FIELDS",
    "RECORD_FIELDS",
    "RECORD_FORMAT",
    "RECORD_FORMAT_VERSION",
    "RUNNING",
    "STALE_INTERVALS",
    "STATUSES",
    "UNKNOWN",
    "UNREADABLE",
    "WRITTEN_STATUSES",
    "RunRecord",
    "format_time",
    "new_nonce",
    "parse_time",
    "record_nonce",
    "record_problems",
    "run_duration",
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
#: Statuses after which a run never changes again (its objects can be cached for good): ``finished``
#: only, since a ``failed`` or ``interrupted`` run may be resumed (``new_experiment(resume=TAG)``).
FINAL_STATUSES = frozenset({FINISHED})
#: Statuses a writer records when it closes a run (its ``summary`` and ``artifacts`` are complete).
ENDED_STATUSES = frozenset({FINISHED, FAILED, INTERRUPTED})
#: Every status a reader reports, in the order they are listed to users.
STATUSES = (RUNNING, FINISHED, FAILED, INTERRUPTED, CRASHED, UNKNOWN, UNREADABLE)

# A ``running`` record whose heartbeat is older than STALE_INTERVALS heartbeat intervals, and at least
# MIN_STALE_SECONDS, is reported ``crashed`` (docs/format.md); a record without an interval beats every 30 s.
STALE_INTERVALS = 3
MIN_STALE_SECONDS = 90.0
DEFAULT_HEARTBEAT_SECONDS = 30.0


#: ``{field: the JSON types its value may have}`` (``None``: ``null``), in the order the writer writes them.
_FIELD_KINDS: dict[str, tuple[type | None, ...]] = {
    "format": (str,),
    "format_version": (int,),
    "tag": (str, None),
    "status": (str,),
    "started": (str,),
    "ended": (str, None),
    "heartbeat": (str, None),
    "heartbeat_interval": (float,),
    "description": (str, None),
    "error": (dict, None),
    "host": (str,),
    "user": (str, None),
    "pid": (int,),
    "argv": (list,),
    "cwd": (str,),
    "python": (str,),
    "torch": (str, None),
    "cuda_devices": (list, None),
    "git_commit": (str, None),
    "env": (dict,),
    "writer_version": (str,),
    "nonce": (str,),
    "artifacts": (dict,),
    "attempts": (list,),
    "parent": (dict,),
    "summary": (dict,),
    "environment": (dict,),
}

#: Every field name of the record (``docs/format.md``), in the writer's order.
RECORD_FIELDS: tuple[str, ...] = tuple(_FIELD_KINDS)
#: Fields that may be ``null``; for the others a ``None`` attribute of :class:`RunRecord` means absent.
NULLABLE_FIELDS = frozenset(name for name, kinds in _FIELD_KINDS.items() if None in kinds)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run record, typed and immutable: one attribute per field of ``docs/format.md``, and ``extra``.

    Make one with :meth:`parse` (stored bytes) or :meth:`from_mapping` (a decoded object),
    change one with :meth:`replace`, store one with :meth:`to_json_bytes`. Every field a
    record may lack (older writers, not written yet) is ``None`` when absent; ``null`` is
    ``None`` too, and the two stay apart in what :meth:`to_mapping` gives back. Fields this
    version does not know are kept in ``extra``, so that parsing and serialising a record
    changes nothing, field order included. Times are the stored strings (``started``…);
    :attr:`started_at` and its siblings read them through :func:`parse_time`. JSON objects
    are read-only mappings and lists are tuples. ``attempts`` (one object per attempt, from 1)
    is there once a run was resumed, ``parent`` (``{"tag", "step"}``) for a run made with
    ``fork=TAG``: :mod:`lab_workbook_core.attempts` reads both (``record_attempts``,
    ``attempt_count``, ``record_parent``).
    """

    status: str
    format: str | None = None
    format_version: int | None = None
    tag: str | None = None
    started: str | None = None
    ended: str | None = None
    heartbeat: str | None = None
    heartbeat_interval: float | None = None
    description: str | None = None
    error: Mapping[str, str] | None = None
    host: str | None = None
    user: str | None = None
    pid: int | None = None
    argv: tuple[str, ...] | None = None
    cwd: str | None = None
    python: str | None = None
    torch: str | None = None
    cuda_devices: tuple[str, ...] | None = None
    git_commit: str | None = None
    env: Mapping[str, str] | None = None
    writer_version: str | None = None
    nonce: str | None = None
    artifacts: Mapping[str, Mapping[str, Any]] | None = None
    attempts: tuple[Mapping[str, Any], ...] | None = None
    parent: Mapping[str, Any] | None = None
    summary: RunSummary | None = None
    environment: Mapping[str, Any] | None = None
    #: Fields this version does not know, as stored (read-only).
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: The stored fields' names in their order (documented and extra); ``()``: every documented field that is set.
    keys: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def parse(cls, data: bytes, tag: str) -> RunRecord:
        """The record stored as ``data`` (a run without a record has no bytes to parse: no call).

        Raises:
            CorruptArtifactError: the bytes are empty, not JSON, not a JSON object, or a field
                has the wrong type (:func:`record_problems`); the message names the run and every
                problem, so that a reader can show it as the run's ``unreadable`` reason.
        """
        if not data:
            raise CorruptArtifactError(f"the run record of {tag} is empty (0 bytes)")
        try:
            decoded = json.loads(data)
        except ValueError as err:  # UnicodeDecodeError included
            raise CorruptArtifactError(f"the run record of {tag} is not valid JSON: {err}") from err
        return cls.from_mapping(decoded, tag=tag)

    @classmethod
    def from_mapping(cls, fields: Mapping[str, Any], *, tag: str | None = None) -> RunRecord:
        """The record of a decoded JSON object (or of :meth:`to_mapping`'s result).

        Raises:
            CorruptArtifactError: ``fields`` is not a record (:func:`record_problems`); the message
                names the run (``tag``, else the record's own) and every problem.
        """
        problems = record_problems(fields)
        if problems:
            name = tag or (fields.get("tag") if isinstance(fields, Mapping) else None) or "a run"
            raise CorruptArtifactError(f"the run record of {name} " + "; ".join(problems))
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name, value in fields.items():
            if name not in _FIELD_KINDS:
                extra[name] = frozen_json(value)
            elif name == "summary":
                known[name] = value if isinstance(value, RunSummary) else RunSummary.from_mapping(value)
            else:
                known[name] = frozen_json(value)
        return cls(**known, extra=MappingProxyType(extra), keys=tuple(fields))

    def to_mapping(self) -> dict[str, Any]:
        """The record as a JSON-ready ``dict`` (plain ``dict`` and ``list``), in its fields' order."""
        found: dict[str, Any] = {}
        for name in self.keys or self._default_keys():
            if name in _FIELD_KINDS:
                value = getattr(self, name)
                if value is not None or name in NULLABLE_FIELDS:
                    found[name] = thawed_json(value)
            elif name in self.extra:
                found[name] = thawed_json(self.extra[name])
        return found

    def _default_keys(self) -> tuple[str, ...]:
        names = [n for n in RECORD_FIELDS if n in NULLABLE_FIELDS or getattr(self, n) is not None]
        return (*names, *self.extra)

    def to_json_bytes(self) -> bytes:
        """The record as stored: JSON indented by two, UTF-8 unescaped, ending in a newline."""
        return (json.dumps(self.to_mapping(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def replace(self, **changes: Any) -> RunRecord:
        """A copy with ``changes`` (field names; values as JSON decodes them, or as this class holds them).

        A field not stored before is added last, as a JSON object gains a key. ``None`` for a
        field that cannot be ``null`` (``summary``, ``environment``…) removes it. A name this
        version does not know goes into ``extra``.

        Raises:
            InvalidValueError: a value of the wrong type; the message names the field.
        """
        removed = {n for n, v in changes.items() if v is None and n in _FIELD_KINDS and n not in NULLABLE_FIELDS}
        problems = record_problems({"status": self.status} | {n: v for n, v in changes.items() if n not in removed})
        if problems:
            raise InvalidValueError(
                "RunRecord.replace(): the record " + "; ".join(problems) + " (docs/format.md gives each field's type)"
            )
        keys = [name for name in self.keys or self._default_keys() if name not in removed]
        known: dict[str, Any] = {}
        extra = dict(self.extra)
        for name, value in changes.items():
            if name not in removed and name not in keys:
                keys.append(name)
            if name not in _FIELD_KINDS:
                extra[name] = frozen_json(value)
            elif name == "summary" and value is not None and not isinstance(value, RunSummary):
                known[name] = RunSummary.from_mapping(value)
            else:
                known[name] = frozen_json(value)
        return dataclasses.replace(self, **known, extra=MappingProxyType(extra), keys=tuple(keys))

    @property
    def started_at(self) -> datetime | None:
        """When the run started (UTC), or ``None`` if the record has no readable time."""
        return parse_time(self.started)

    @property
    def ended_at(self) -> datetime | None:
        """When the run ended (UTC); ``None`` while it runs."""
        return parse_time(self.ended)

    @property
    def heartbeat_at(self) -> datetime | None:
        """The run's last sign of life (UTC)."""
        return parse_time(self.heartbeat)

    def is_stale(self, now: datetime | None = None) -> bool:
        """Whether the record says ``running`` but its heartbeat is too old: the process died without
        saying so, and readers report the run ``crashed``.

        Too old is more than :data:`STALE_INTERVALS` heartbeat intervals, and at least
        :data:`MIN_STALE_SECONDS`, before ``now`` (the current time by default); a record
        without a heartbeat counts from ``started``, one without either is not stale.
        """
        if self.status != RUNNING:
            return False
        beat = self.heartbeat_at or self.started_at
        if beat is None:
            return False
        interval = self.heartbeat_interval
        if interval is None or interval <= 0:
            interval = DEFAULT_HEARTBEAT_SECONDS
        stale_after = timedelta(seconds=max(STALE_INTERVALS * interval, MIN_STALE_SECONDS))
        return (now or datetime.now(UTC)) - beat > stale_after

    @property
    def is_final(self) -> bool:
        """Whether the run never changes again (``finished``): what a reader may cache for good."""
        return self.status in FINAL_STATUSES

    @property
    def has_ended(self) -> bool:
        """Whether a writer closed the run (``finished``, ``failed`` or ``interrupted``); a failed or
        interrupted run may still be resumed, so it is not :attr:`is_final`."""
        return self.status in ENDED_STATUSES

    def complete_artifacts(self) -> Mapping[str, Mapping[str, Any]] | None:
        """``artifacts`` when it is complete, else ``None`` (list the run's folder instead).

        A record of an ended run carrying a ``summary`` was written at close by a writer that keeps
        ``artifacts`` complete, so a name absent from it is an artifact the run does not have.
        """
        if self.has_ended and self.summary is not None and self.artifacts is not None:
            return self.artifacts
        return None

    def artifact_mismatch(self, name: str, data: bytes) -> str | None:
        """Why ``data`` is not the artifact ``name`` the record lists, or ``None`` (it is, or nothing is listed).

        ``artifacts[name]["sha256"]`` is the SHA-256 (lowercase hex) of the bytes the writer
        saved; an entry without a well-formed digest is not checked.
        """
        facts = self.artifacts.get(name) if self.artifacts is not None else None
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


def run_duration(record: RunRecord, written: Iterable[datetime | None] = ()) -> timedelta | None:
    """How long a run lasted: to its ``ended``; for a run without an end (running, or crashed
    without saying so), to the newest thing it wrote.

    The heartbeat alone would say ``0s`` for a run younger than one heartbeat interval (30 s)
    and lag by as much for every other; the writer's series segments land more often, so the
    newest of the heartbeat and ``written`` (the times its segments were stored) counts.
    ``None`` without a readable ``started``, or with nothing to count to.

    Args:
        record: the run record.
        written: when each object the run wrote was stored (its segments); ignored once it ended.
    """
    started = record.started_at
    if started is None:
        return None
    ended = record.ended_at
    if ended is not None:
        return ended - started
    moments = [m for m in (record.heartbeat_at, *written) if m is not None]
    return max(moments) - started if moments else None


def record_problems(record: Any) -> list[str]:
    """Why a decoded JSON value is not a run record a reader can trust; ``[]`` when it is one.

    Each problem reads after "the run record of TAG": ``is not a JSON object (it is a list)``,
    ``has no 'status'``, ``has 'status' 5 (an integer; a string expected)``, ``has 'status'
    "done" (not one of running, finished, failed, interrupted)``. Fields are checked against the
    types ``docs/format.md`` gives; a field may be absent (older writers, or not written yet)
    except ``status``, and fields this version does not know are ignored.
    """
    if not isinstance(record, Mapping):
        return [f"is not a JSON object (it is {_json_type(record)})"]
    problems = []
    if "status" not in record:
        problems.append("has no 'status'")
    kinds = _field_types()
    for name, value in record.items():
        allowed = kinds.get(name)
        if allowed is not None and type(value) not in allowed:  # type(): JSON's true is not an integer
            kind = "" if value is None else f"{_json_type(value)}; "
            problems.append(f"has {name!r} {_shown(value)} ({kind}{_expected(_FIELD_KINDS[name])} expected)")
    status = record.get("status")
    if isinstance(status, str) and status not in WRITTEN_STATUSES:
        problems.append(f"has 'status' {_shown(status)} (not one of {', '.join(WRITTEN_STATUSES)})")
    return problems + _nested_problems(record)


def _nested_problems(record: Mapping[str, Any]) -> list[str]:
    """What is wrong inside ``attempts`` (each an object) and ``parent`` (a ``tag`` string, an integer ``step``)."""
    problems = []
    attempts = record.get("attempts")
    if isinstance(attempts, list | tuple):
        for place, entry in enumerate(attempts, start=1):
            if not isinstance(entry, Mapping):
                problems.append(
                    f"has attempt {place} {_shown(entry)} in 'attempts' ({_json_type(entry)}; an object expected)"
                )
    parent = record.get("parent")
    if isinstance(parent, Mapping):
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
    """``{field: the Python types its value may be}``: as JSON decodes it, or as a :class:`RunRecord` holds it."""
    found = {}
    for name, options in _FIELD_KINDS.items():
        kinds: set[type] = {type(None) if option is None else option for option in options}
        if float in kinds:
            kinds.add(int)  # a JSON number may be 30 or 30.0
        if dict in kinds:
            kinds.update({MappingProxyType, RunSummary} if name == "summary" else {MappingProxyType})
        if list in kinds:
            kinds.add(tuple)
        found[name] = frozenset(kinds)
    return found


_JSON_TYPES = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    list: "a list",
    dict: "an object",
    tuple: "a list",
    MappingProxyType: "an object",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _expected(options: tuple[type | None, ...]) -> str:
    return " or ".join(_JSON_TYPES[type(None) if option is None else option] for option in options)


def _shown(value: Any) -> str:
    """The value as JSON, shortened: enough to recognise it in a message."""
    text = json.dumps(thawed_json(value), ensure_ascii=False)
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
