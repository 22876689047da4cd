"""The README's demo works on a fresh machine: trains, records, reads back."""

from pathlib import Path
import re
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_demo_records_two_runs_in_the_default_store_and_reads_them_back(isolated_home, torch):
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--epochs", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    tags = re.findall(r"recorded run (\S+)", result.stdout)
    assert len(tags) == 2
    for tag in tags:
        assert f"<Experiment: {tag}>  status=finished" in result.stdout
    # With no configuration the runs land in the built-in store under the user's data folder.
    store = isolated_home / ".local" / "share" / "lab-workbook" / "experiments"
    assert sorted(p.name for p in store.iterdir()) == sorted(tags)
    assert "The runs table" in result.stdout
