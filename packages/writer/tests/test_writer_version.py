"""``python -m lab_workbook_writer --version``: the versions on a machine that has only core and the writer."""

import subprocess
import sys

import lab_workbook_core
import lab_workbook_writer


def _module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lab_workbook_writer", *args], capture_output=True, text=True, timeout=60
    )


def test_version_prints_the_writer_and_core_versions_and_the_formats():
    result = _module("--version")
    lines = [line.split(None, 1) for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stderr
    assert ["lab-workbook-writer", lab_workbook_writer.__version__] in lines
    assert ["lab-workbook-core", lab_workbook_core.__version__] in lines
    assert dict(lines)["formats"].startswith("run record 1,")


def test_without_an_option_it_prints_its_usage_and_exits_2():
    result = _module()
    assert (result.returncode, result.stdout.startswith("usage: python -m lab_workbook_writer")) == (2, True)


def test_version_imports_neither_pandas_nor_torch():
    probe = (
        "import sys\nfrom lab_workbook_writer.__main__ import main\nmain(['--version'])\n"
        "print(*(name in sys.modules for name in ('pandas', 'torch', 'typer', 'boto3')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1].split() == ["False", "False", "False", "False"], result.stderr
