"""Where each package's source lives in this repository: for the tests that read the code itself."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Import name → the folder of its modules.
PACKAGES = {
    "lab_workbook_core": ROOT / "packages/core/src/lab_workbook_core",
    "lab_workbook_writer": ROOT / "packages/writer/src/lab_workbook_writer",
    "lab_workbook": ROOT / "packages/reader/src/lab_workbook",
    "lab_workbook_cli": ROOT / "packages/cli/src/lab_workbook_cli",
    "lab_workbook_ui": ROOT / "packages/ui/src/lab_workbook_ui",
}
