"""Running a snippet in a fresh interpreter: what a package imports, or does without, is seen only there.

Importable from every test tree (the root ``pyproject.toml`` puts ``tests/`` on the path).
"""

from __future__ import annotations

import subprocess
import sys

__all__ = ["python_output"]


def python_output(code: str, **options: object) -> str:
    """The stdout of ``python -c code`` (this interpreter); a failing snippet raises with its stderr."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, **options)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise AssertionError(f"the probe failed ({result.returncode}):\n{result.stderr}")
    return result.stdout
