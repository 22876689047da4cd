"""Debian's chromium, headless, as the dashboard's tests and its benchmark drive it through playwright.

Playwright's own browser download is never used (``playwright install`` is not run): the
system package's binary is launched with flags that keep it off the network and quiet.
Importable from every test tree (the root ``pyproject.toml`` puts ``tests/`` on the path);
``benchmarks/bench_ui.py`` adds ``tests/`` to its path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "launch_chromium"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright: Any) -> Any:
    """A headless Debian chromium browser, from a started ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
