"""``wb.runs()``, ``lab-workbook list`` and the dashboard's table show the same runs: they share one pipeline.

The reader's pipeline of run rows (``wb.run_rows``) filters, orders and keeps the rows of all
three; each only shapes its own columns. The store has every status, a damaged record and a run
of the original tool (no record), with and without the filters they take.
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
from typing import Any

from builders import StoreBuilder
from lab_workbook import ExperimentRepository
from lab_workbook_cli import app
from lab_workbook_core.keys import run_record_key
from lab_workbook_ui._tables import runs_payload
import pandas as pd
import pytest
from typer.testing import CliRunner

ORIGINAL = "201602142341-agreeORIGI"  # the original tool's run: no record
DAMAGED = "202512310000-agreeDAMAG"  # a record that is not JSON: unreadable
RUNS = {  # the others, by tag: (status, heartbeat age in seconds)
    "202601010000-agreeAAAAA": ("finished", 0.0),
    "202601020000-agreeBBBBB": ("failed", 0.0),
    "202601030000-agreeCCCCC": ("running", 0.0),
    "202601040000-agreeDDDDD": ("running", 600.0),  # crashed: its heartbeat stopped
    "202601050000-agreeEEEEE": ("interrupted", 0.0),
    "202601060000-agreeFFFFF": ("finished", 0.0),
}

pytestmark = pytest.mark.filterwarnings("ignore::lab_workbook.UnreadableRunsWarning")  # the damaged run, named


@pytest.fixture
def prefix(store_prefix: str) -> str:
    store = StoreBuilder(store_prefix)
    for tag, (status, age) in RUNS.items():
        started = datetime.strptime(tag[:12], "%Y%m%d%H%M").replace(tzinfo=UTC)
        store.record(tag, status, started=started, heartbeat_age=age, description=f"run {tag[-5:]}")
    store.put(ORIGINAL, "parameters.json", "{}")
    store.record(DAMAGED)
    store.storage.put_bytes(run_record_key(DAMAGED), b'{"status": ')
    return store_prefix


def _moment(value: Any) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def _shown(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(tag, status, description, started): newest first. A run with no readable record has no
    start of its own, so its start is left out (the table dates it by its tag, ``list`` does not)."""
    shown = [
        (
            r["tag"],
            r["status"],
            r["description"] if isinstance(r["description"], str) else None,
            _moment(r["started"]) if r["status"] not in ("unknown", "unreadable") else None,
        )
        for r in rows
    ]
    return sorted(shown, reverse=True)


def _table(prefix: str, **filters: Any) -> list[tuple[Any, ...]]:
    table = ExperimentRepository(prefix).runs(**filters)
    return _shown(table.to_dict("records"))


def _list(prefix: str, *options: str) -> list[tuple[Any, ...]]:
    result = CliRunner().invoke(app, ["list", "--json", "--limit", "0", "--prefix", prefix, *options])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows == sorted(rows, key=lambda r: r["tag"], reverse=True)  # newest first, as given
    return _shown(rows)


def _dashboard(prefix: str) -> list[tuple[Any, ...]]:
    payload = runs_payload(ExperimentRepository(prefix), [], "parameters.json")
    return _shown([dict(zip(payload["columns"], row, strict=True)) for row in payload["rows"]])


def test_the_table_the_list_and_the_dashboard_show_the_same_runs(prefix):
    table = _table(prefix)
    assert len(table) == len(RUNS) + 2
    assert {status for _, status, _, _ in table} == {
        "finished",
        "failed",
        "running",
        "crashed",
        "interrupted",
        "unknown",
        "unreadable",
    }
    assert _list(prefix) == table
    assert _dashboard(prefix) == table


@pytest.mark.parametrize("status", ["finished", "crashed", "unreadable", "unknown"])
def test_the_table_and_the_list_filter_by_status_alike(prefix, status):
    table = _table(prefix, status=status)
    assert table and all(row[1] == status for row in table)
    assert _list(prefix, "--status", status) == table


@pytest.mark.parametrize("since", ["2026-01-01", "2026-01-04T00:00", "2026-01-04T00:01", "2027-01-01"])
def test_the_table_and_the_list_filter_by_start_alike(prefix, since):
    assert _list(prefix, "--since", since) == _table(prefix, since=since)


def test_the_table_and_the_list_combine_filters_alike(prefix):
    expected = _table(prefix, since="2026-01-02", status="finished")
    assert [row[0] for row in expected] == ["202601060000-agreeFFFFF"]
    assert _list(prefix, "--since", "2026-01-02", "--status", "finished") == expected
