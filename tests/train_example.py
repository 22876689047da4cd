"""Running ``examples/train.py`` as a user would, in a child interpreter: the tag it prints, and its output.

Importable from every test tree (the root ``pyproject.toml`` puts ``tests/`` on the path).
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

__all__ = ["ROOT", "run_train_example"]

ROOT = Path(__file__).resolve().parents[1]


def run_train_example(prefix: str, *options: str, cwd: Path = ROOT) -> tuple[str, subprocess.CompletedProcess[str]]:
    """Run ``examples/train.py --prefix <prefix> <options>`` in ``cwd``; the one tag it printed, and the process.

    A failing run, or output without exactly one ``Experiment Tag:`` line, fails the test with its output.
    """
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "train.py"), "--prefix", prefix, *options],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("Experiment Tag: ")]
    assert len(lines) == 1, result.stdout
    return lines[0].removeprefix("Experiment Tag: "), result
