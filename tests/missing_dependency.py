"""A run recorded by the writer in a fresh interpreter where an optional dependency is hidden, as if not installed.

The probe hides the module (``sys.modules[name] = None``), so the test means the same whether or
not the environment has it. Importable from every test tree (the root ``pyproject.toml`` puts
``tests/`` on the path).
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

__all__ = ["record_without"]

PROBE = """
import sys
sys.modules[{module!r}] = None  # as if it were not installed
from lab_workbook_core import MissingDependencyError
from lab_workbook_writer import new_experiment
wb = new_experiment({store!r})
wb.save_json("parameters", {{"lr": 0.1}})
wb.new_time_series_log("loss", ["step"])(step=1)
for call in ({calls}):
    try:
        call()
    except MissingDependencyError as err:
        print("refused:", err)
wb.close()
"""


def record_without(module: str, store: Path, *calls: str) -> tuple[list[str], list[str]]:
    """Record a run (parameters, a series, then each call) into ``store`` without ``module``.

    Args:
        module: the top-level module hidden from the writer (``"PIL"``, ``"torch"``).
        store: the local folder the run is recorded in.
        calls: expressions on the run ``wb`` that need ``module`` (``'wb.save_torch("model", {})'``).

    Returns:
        The ``refused: <message>`` line of each call that raised MissingDependencyError, and the
        sorted names of what the run stored.
    """
    code = PROBE.format(module=module, store=str(store), calls="".join(f"lambda: {call}, " for call in calls))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    refusals = [line for line in result.stdout.splitlines() if line.startswith("refused:")]
    tag = result.stdout.split()[2]
    return refusals, sorted(path.name for path in (store / tag).iterdir())
