"""Fixtures for the CLI tests: a CliRunner, and stores filled per ``docs/format.md``.

Most tests write the store directly with the shared builder (``tests/builders.py``:
run records, CSVs, JSON), so they depend only on the on-store format; a few end-to-end
tests use the real writer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import json

from builders import StoreBuilder, tag_minute
import pytest
from typer.testing import CliRunner


@pytest.fixture
def runner() -> CliRunner:
    """A runner whose stdout is not a terminal (as when piped)."""
    return CliRunner()


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
        store = StoreBuilder(prefix)
        for name, data in (artifacts or {}).items():
            store.put(tag, name, data)
        if record:
            store.record(tag, status, started=tag_minute(tag), minutes=minutes, description=description)
        return tag

    return make


LOSS_CSV = (
    "epoch,loss,gradientNorm,Date\n"
    "1,2.5,1.5,2024-01-01T10:00:00Z\n"
    "2,1.25,1.0,2024-01-01T10:01:00Z\n"
    "3,0.5,0.75,2024-01-01T10:02:00Z\n"
)

PATCH = "diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-lr = 0.1\n+lr = 0.01\n"


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
