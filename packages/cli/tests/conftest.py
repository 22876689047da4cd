"""Fixtures for the CLI tests: a CliRunner, and stores filled per ``docs/format.md``.

Most tests write the store directly with core storage (run records, CSVs, JSON), so
they depend only on the on-store format; a few end-to-end tests use the real writer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
import json

from lab_workbook_core import load_config, open_storage
from lab_workbook_core.keys import run_record_key
import pytest
from typer.testing import CliRunner


@pytest.fixture
def runner() -> CliRunner:
    """A runner whose stdout is not a terminal (as when piped)."""
    return CliRunner()


def _record(tag: str, status: str, started: datetime, ended: datetime | None, description: str | None) -> bytes:
    return json.dumps(
        {
            "format": "lab-workbook/run",
            "format_version": 1,
            "tag": tag,
            "status": status,
            "started": started.isoformat().replace("+00:00", "Z"),
            "ended": ended.isoformat().replace("+00:00", "Z") if ended else None,
            "heartbeat": (ended or started).isoformat().replace("+00:00", "Z"),
            "heartbeat_interval": 30,
            "description": description,
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
            "artifacts": {},
        }
    ).encode()


MakeRun = Callable[..., str]


@pytest.fixture
def make_run() -> MakeRun:
    """``make_run(prefix, tag, {name: bytes}, status=..., minutes=..., description=...) -> tag``.

    Writes a finished run (record + artifacts) straight into the store. ``record=False``
    leaves it without a run record, as the original tool did.
    """

    def make(
        prefix: str,
        tag: str,
        artifacts: Mapping[str, bytes | str] | None = None,
        *,
        status: str = "finished",
        minutes: float = 5,
        description: str | None = None,
        record: bool = True,
    ) -> str:
        storage = open_storage(load_config(prefix))
        started = datetime.strptime(tag[:12], "%Y%m%d%H%M").replace(tzinfo=UTC)
        ended = None if status == "running" else started + timedelta(minutes=minutes)
        if record:
            storage.put_bytes(run_record_key(tag), _record(tag, status, started, ended, description))
        for name, data in (artifacts or {}).items():
            storage.put_bytes(f"{tag}/{name}", data.encode() if isinstance(data, str) else data)
        return tag

    return make


LOSS_CSV = (
    "epoch,loss,gradientNorm,Date\n"
    "1,2.5,1.5,2024-01-01T10:00:00Z\n"
    "2,1.25,1.0,2024-01-01T10:01:00Z\n"
    "3,0.5,0.75,2024-01-01T10:02:00Z\n"
)

PATCH = (
    "diff --git a/train.py b/train.py\n"
    "--- a/train.py\n"
    "+++ b/train.py\n"
    "@@ -1 +1 @@\n"
    "-lr = 0.1\n"
    "+lr = 0.01\n"
)


@pytest.fixture
def sample_artifacts() -> dict[str, str]:
    """The artifacts of a typical run."""
    return {
        "parameters.json": json.dumps({"learningRate": 0.1, "momentum": 0.9}),
        "Training loss.csv": LOSS_CSV,
        "Source.git-patch": PATCH,
    }


SEGMENTED_SERIES = {
    ".lab-workbook/segments/loss.csv/00000001.csv": "epoch,loss,Date\n1,2.0,2024-01-01T10:00:00Z\n",
    ".lab-workbook/segments/loss.csv/00000002.csv": "epoch,loss,Date\n2,1.0,2024-01-01T10:01:00Z\n",
}


@pytest.fixture
def running_series_run(local_prefix: str, make_run: MakeRun) -> Callable[[str], str]:
    """``running_series_run(tag)``: a running run whose ``loss.csv`` exists only as two segments."""
    return lambda tag: make_run(local_prefix, tag, SEGMENTED_SERIES, status="running")
