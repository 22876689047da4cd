"""Pillow is optional: without it a run records everything else, and only save_image/save_figure refuse.

The ``writer-only`` hatch environment has no Pillow at all; elsewhere the probe hides it
(``sys.modules["PIL"] = None``), so the test means the same in both.
"""

import subprocess
import sys

from missing_dependency import record_without

STORED = [".lab-workbook", "Environment.txt", "loss.csv", "parameters.json"]  # everything but the refused calls


def test_save_image_without_pillow_names_the_extra_to_install_and_nothing_else_needs_it(tmp_path):
    refusals, stored = record_without(
        "PIL", tmp_path / "store", 'wb.save_image("samples", [[0]], step=1)', 'wb.save_figure("curves", object())'
    )
    assert refusals == [
        "refused: save_image needs Pillow, which is not installed: pip install 'lab-workbook-writer[images]' "
        "(or pip install Pillow)",
        "refused: save_figure needs Pillow, which is not installed: pip install 'lab-workbook-writer[images]' "
        "(or pip install Pillow)",
    ]
    assert stored == STORED


def test_importing_and_recording_with_the_writer_does_not_import_pillow(tmp_path):
    probe = (
        "import sys, lab_workbook_writer\n"
        f"wb = lab_workbook_writer.new_experiment({str(tmp_path / 'store')!r})\n"
        "wb.save_json('parameters', {'lr': 0.1}); wb.close()\n"
        "print(sorted(m for m in ('PIL', 'matplotlib', 'numpy') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
