"""torch is optional: without it everything but save_torch works, and save_torch says what to install."""

import subprocess
import sys

PROBE = """
import sys
sys.modules["torch"] = None  # as if torch were not installed
from lab_workbook_core import MissingDependencyError
from lab_workbook_writer import new_experiment
wb = new_experiment({store!r})
wb.save_json("parameters", {{"lr": 0.1}})
wb.new_time_series_log("loss", ["step"])(step=1)
try:
    wb.save_torch("model", {{}})
except MissingDependencyError as err:
    print("refused:", err)
wb.close()
"""


def test_save_torch_without_torch_raises_a_clear_missing_dependency_error(tmp_path):
    code = PROBE.format(store=str(tmp_path / "store"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "refused: save_torch needs PyTorch, which is not installed: pip install torch" in result.stdout
    tag = result.stdout.split()[2]
    assert sorted(p.name for p in (tmp_path / "store" / tag).iterdir()) == [
        ".lab-workbook",
        "Environment.txt",
        "loss.csv",
        "parameters.json",
    ]
