"""System metrics (opt-in): system.csv sampled by a background thread, read back with the reader."""

import time

from lab_workbook import ExperimentRepository
from lab_workbook_core import InvalidValueError
from lab_workbook_writer import new_experiment
import pytest


def test_a_run_with_system_metrics_has_a_system_csv_of_plausible_samples(tmp_path):
    prefix = str(tmp_path / "store")
    with new_experiment(prefix, system_metrics=True, system_metrics_seconds=0.05) as wb:
        ballast = bytearray(64 * 2**20)  # this process holds at least 64 MB
        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline:
            sum(range(10_000))  # keep a core busy
    system = ExperimentRepository(prefix)[wb.tag]["system.csv"]
    assert len(ballast) and len(system) >= 4
    assert system.index.name == "elapsed_s" and system.index.is_monotonic_increasing
    assert list(system.columns)[:5] == [
        "cpu_percent",
        "ram_used_mb",
        "ram_percent",
        "process_cpu_percent",
        "process_rss_mb",
    ]
    assert system["cpu_percent"].between(0, 100).all() and system["ram_percent"].between(0, 100).all()
    assert (system["process_rss_mb"] > 64).all()
    assert system["process_cpu_percent"].iloc[1:].max() > 0  # the loop above was busy
    assert (system["ram_used_mb"] > 0).all()


def test_without_the_option_there_is_no_system_csv(tmp_path):
    prefix = str(tmp_path / "store")
    with new_experiment(prefix) as wb:
        wb.save_json("p", {})
    artifacts = ExperimentRepository(prefix)[wb.tag].list_artifacts()
    assert "p.json" in artifacts and "system.csv" not in artifacts  # (Environment.txt is recorded too)


def test_the_sampling_interval_must_be_positive(tmp_path):
    with pytest.raises(InvalidValueError, match="system_metrics_seconds"):
        new_experiment(str(tmp_path / "store"), system_metrics=True, system_metrics_seconds=0)


def test_the_lightning_logger_passes_the_option_on(tmp_path):
    pytest.importorskip("lightning", reason="lightning needs torch, installed on Python 3.11 only (hatch.toml)")
    from lab_workbook_writer.lightning import LabWorkbookLogger

    logger = LabWorkbookLogger(str(tmp_path / "store"), system_metrics=True, system_metrics_seconds=0.05)
    with logger.experiment as wb:
        time.sleep(0.3)
    assert len(ExperimentRepository(str(tmp_path / "store"))[wb.tag]["system.csv"]) >= 2
