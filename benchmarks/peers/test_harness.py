"""The peers harness end to end, without the peers' libraries: the two baselines and lab-workbook
(local folder and moto's S3 server on 127.0.0.1), 500 steps, one round.

    hatch test benchmarks/peers/test_harness.py

It needs only what the test environment has (lab-workbook, pandas, moto), so the peers' libraries
never become test dependencies; the trackers that are not installed are reported, not measured.
"""

from __future__ import annotations

from pathlib import Path
import sys

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_peers

STEPS = 500
MEASURED = ["csv.writer", "list.append", "lab-workbook local", "lab-workbook S3"]


@pytest.fixture(scope="module")
def result() -> dict:
    return bench_peers.main(["--steps", str(STEPS), "--rounds", "1", "--only", ",".join(MEASURED)])


def by_name(result: dict) -> dict[str, dict]:
    return {item["name"]: item for item in result["summary"]}


@pytest.mark.slow
def test_every_tracker_that_persists_is_loaded_back_with_every_step(result: dict) -> None:
    summary = by_name(result)
    for name in ["csv.writer", "lab-workbook local", "lab-workbook S3"]:
        assert summary[name]["errors"] == [], summary[name]["errors"]
        assert summary[name]["rows"] == STEPS
        assert summary[name]["complete"] is True


@pytest.mark.slow
def test_every_figure_has_its_ratio_to_csv_writer(result: dict) -> None:
    summary = by_name(result)
    assert summary["csv.writer"]["ratio_median_us"] == 1.0
    lab = summary["lab-workbook S3"]
    for key in ["median_us", "p99_us", "total_s", "bytes", "peak_mib", "load_s"]:
        assert lab[f"ratio_{key}"] > 0
    assert lab["bytes_kind"] == "sent"  # the S3 run counts what went over the wire
    assert summary["list.append"]["bytes"] == 0
    assert "load_s" not in summary["list.append"]  # nothing persisted, nothing to load


@pytest.mark.slow
def test_nothing_tried_to_leave_the_machine(result: dict) -> None:
    for item in result["summary"]:
        assert item.get("blocked", []) == [], (item["name"], item["blocked"])


@pytest.mark.slow
def test_the_table_names_each_tracker_with_the_rows_it_loaded(result: dict) -> None:
    from report import markdown_table

    table = markdown_table(result["summary"], STEPS)
    for name in MEASURED:
        assert f"| {name} |" in table
    assert "| 500 |" in table
    assert "rows lost" not in table
