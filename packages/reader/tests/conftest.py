"""Store contents for the reader's tests, written directly with core storage per ``docs/format.md``.

The writer is a separate package; these tests build what it (or the original Lua
tool) leaves in a store by hand, so the reader is tested against the format itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path

from lab_workbook import ExperimentRepository
from lab_workbook_core import Storage, load_config, open_storage
from lab_workbook_core.keys import run_record_key, segment_key
import pytest

FIXTURE_TAG = "201602142341-mn5SvgNxHY"
FIXTURE_DIR = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "original" / FIXTURE_TAG


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def run_record(tag: str, status: str = "finished", *, heartbeat_age: float = 0.0, **extra: object) -> bytes:
    """A run record as the writer writes it (the fields the reader uses, plus a few)."""
    now = datetime.now(UTC)
    started = now - timedelta(seconds=heartbeat_age + 60)
    record = {
        "format": "lab-workbook/run",
        "format_version": 1,
        "tag": tag,
        "status": status,
        "started": iso(started),
        "ended": None if status == "running" else iso(now),
        "heartbeat": iso(now - timedelta(seconds=heartbeat_age)),
        "heartbeat_interval": 30,
        "description": None,
        "error": None,
        "git_commit": None,
        "artifacts": {},
    }
    record.update(extra)
    return json.dumps(record).encode()


class Store:
    """Writes experiments into a store the way the writer or the original tool leaves them."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.storage: Storage = open_storage(load_config(prefix))

    def put(self, tag: str, name: str, data: bytes | str) -> None:
        self.storage.put_bytes(f"{tag}/{name}", data.encode() if isinstance(data, str) else data)

    def record(self, tag: str, status: str = "finished", **kwargs: object) -> None:
        self.storage.put_bytes(run_record_key(tag), run_record(tag, status, **kwargs))

    def segment(self, tag: str, series_file: str, sequence: int, data: bytes | str) -> None:
        raw = data.encode() if isinstance(data, str) else data
        self.storage.put_bytes(segment_key(tag, series_file, sequence), raw)

    def original(self, tag: str = FIXTURE_TAG) -> str:
        """Upload the original tool's experiment under ``tag`` (key = prefix + tag + '/' + file name)."""
        for path in sorted(FIXTURE_DIR.iterdir()):
            self.put(tag, path.name, path.read_bytes())
        return tag

    def finished(self, tag: str, artifacts: dict[str, bytes | str], **record: object) -> str:
        for name, data in artifacts.items():
            self.put(tag, name, data)
        self.record(tag, "finished", **record)
        return tag

    def repository(self, **kwargs: object) -> ExperimentRepository:
        return ExperimentRepository(self.prefix, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def store(store_prefix: str) -> Store:
    """An empty store, once on a local folder and once on the S3 endpoint."""
    return Store(store_prefix)


@pytest.fixture
def s3_store(s3_prefix: str) -> Store:
    return Store(s3_prefix)


@pytest.fixture
def local_store(local_prefix: str) -> Store:
    return Store(local_prefix)


@pytest.fixture
def make_store() -> Callable[[str], Store]:
    return Store
