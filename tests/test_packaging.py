"""The packages install separately: a GPU box gets the writer without the notebook stack."""

from pathlib import Path
import subprocess
import venv

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_writer_and_core_install_without_pandas_or_typer(tmp_path):
    env_dir = tmp_path / "gpu-box"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", ROOT / "packages" / "core", ROOT / "packages" / "writer"],
        check=True,
        timeout=600,
    )
    probe = (
        "import importlib.util, lab_workbook_writer, lab_workbook_core\n"
        "missing = [m for m in ('pandas', 'typer', 'rich', 'lab_workbook', 'lab_workbook_cli', 'lab_workbook_ui', 'starlette')"
        " if importlib.util.find_spec(m) is None]\n"
        "print(','.join(missing))\n"
    )
    result = subprocess.run([python, "-c", probe], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "pandas,typer,rich,lab_workbook,lab_workbook_cli,lab_workbook_ui,starlette"


def test_every_package_is_typed_and_versioned():
    for folder, module in [
        ("core", "lab_workbook_core"),
        ("writer", "lab_workbook_writer"),
        ("reader", "lab_workbook"),
        ("cli", "lab_workbook_cli"),
        ("ui", "lab_workbook_ui"),
    ]:
        src = ROOT / "packages" / folder / "src" / module
        assert (src / "py.typed").is_file(), module
        assert (src / "__about__.py").read_text().startswith("__version__ = "), module
        assert not (ROOT / "packages" / folder / "src" / "__init__.py").exists()
