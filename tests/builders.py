"""Stores of runs written straight in the on-store format (``docs/format.md``), for every package's tests.

The reader, the CLI and the dashboard are tested against the format itself, not
against the writer: these builders put run records, artifacts and segments into a
store with core's storage, in well under a second for hundreds of runs. The record's
field names and status words come from ``lab_workbook_core.record``, as the writer's do.

Importable from every test tree (the root ``pyproject.toml`` puts ``tests/`` on the path).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

from lab_workbook_core import Storage, load_config, open_storage
from lab_workbook_core.keys import run_record_key, segment_key
from lab_workbook_core.record import FINISHED, RECORD_FORMAT, RECORD_FORMAT_VERSION, RUNNING

__all__ = ["StoreBuilder", "attempt_entries", "iso", "run_record", "tag_minute"]


def iso(moment: datetime) -> str:
    """``2026-01-05T08:00:00Z``: a UTC time as the writer writes it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def tag_minute(tag: str) -> datetime:
    """The start minute a generated tag (``202601050800-...``) encodes."""
    return datetime.strptime(tag[:12], "%Y%m%d%H%M").replace(tzinfo=UTC)


def run_record(
    tag: str,
    status: str = FINISHED,
    *,
    started: datetime | str | None = None,
    minutes: float = 5,
    heartbeat_age: float = 0.0,
    **fields: Any,
) -> dict[str, Any]:
    """A run record with every field the writer writes at start, in its order.

    Args:
        tag: the run's tag.
        status: what the writer recorded (``running``, ``finished``, ``failed``, ``interrupted``).
        started: when the run started; by default ``minutes`` (and ``heartbeat_age``) ago.
        minutes: how long a run that is over lasted (``ended`` is ``started`` plus this).
        heartbeat_age: for a running run, how many seconds ago its last heartbeat was
            (past three intervals, at least 90 s, the reader reports it ``crashed``).
        fields: any field to set or override (``description``, ``artifacts``, ``summary``...).
    """
    now = datetime.now(UTC)
    started_text = started if isinstance(started, str) else None
    if isinstance(started, str):
        started = datetime.fromisoformat(started)
    if started is None:
        started = now - timedelta(minutes=minutes, seconds=heartbeat_age)
    ended = None if status == RUNNING else started + timedelta(minutes=minutes)
    heartbeat = now - timedelta(seconds=heartbeat_age) if ended is None else ended
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "format_version": RECORD_FORMAT_VERSION,
        "tag": tag,
        "status": status,
        "started": started_text or iso(started),
        "ended": None if ended is None else iso(ended),
        "heartbeat": iso(heartbeat),
        "heartbeat_interval": 30,
        "description": None,
        "error": None,
        "host": "gpu-box",
        "user": "me",
        "pid": 1234,
        "argv": ["train.py"],
        "cwd": "/home/me",
        "python": "3.11.9",
        "torch": "2.13.0",
        "cuda_devices": [],
        "git_commit": None,
        "env": {},
        "writer_version": "0.1.0",
        "nonce": "0123456789abcdef0123456789abcdef",
        "artifacts": {},
    }
    record.update(fields)
    return record


def attempt_entries(statuses: list[str], *, started: datetime | None = None) -> list[dict[str, Any]]:
    """A resumed run's ``attempts`` (``docs/format.md``, *Attempts*): one per status, an hour apart.

    ``statuses``: what each attempt ended as (``crashed``, ``interrupted``... and, for the last,
    the run's status: ``running`` while it goes, with ``ended`` null). Each ran on its own host.
    """
    start = started or datetime(2026, 1, 1, tzinfo=UTC)
    entries = []
    for number, status in enumerate(statuses, start=1):
        began = start + timedelta(hours=number - 1)
        entries.append(
            {
                "attempt": number,
                "started": iso(began),
                "ended": None if status == RUNNING else iso(began + timedelta(minutes=50)),
                "host": f"node-{number}",
                "pid": 1000 + number,
                "status": status,
                "error": {"type": "Preempted", "message": "SIGTERM"} if status == "interrupted" else None,
            }
        )
    return entries


class StoreBuilder:
    """Writes runs into the store at ``prefix`` the way the writer (or the original tool) leaves them."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.storage: Storage = open_storage(load_config(prefix))

    def put(self, tag: str, name: str, data: bytes | str) -> None:
        """An artifact, or any object under the run's folder: ``name`` is not validated, so a
        test can plant what a hostile or older writer might leave."""
        self.storage.put_bytes(f"{tag}/{name}", data.encode() if isinstance(data, str) else data)

    def record(self, tag: str, status: str = FINISHED, **fields: Any) -> None:
        """The run record (see :func:`run_record` for the options)."""
        self.storage.put_bytes(run_record_key(tag), json.dumps(run_record(tag, status, **fields)).encode())

    def segment(self, tag: str, series_file: str, sequence: int, data: bytes | str) -> None:
        """One segment of a series a running run is still writing."""
        raw = data.encode() if isinstance(data, str) else data
        self.storage.put_bytes(segment_key(tag, series_file, sequence), raw)

    def finished(self, tag: str, artifacts: dict[str, bytes | str], **record: Any) -> str:
        """A run that is over: its artifacts, then its record (as the writer orders them)."""
        for name, data in artifacts.items():
            self.put(tag, name, data)
        self.record(tag, record.pop("status", FINISHED), **record)
        return tag
