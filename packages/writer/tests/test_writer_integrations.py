"""The framework integrations without their framework: a clear error when one is made, nothing at import."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "name", "framework", "install"),
    [
        ("lightning", "LabWorkbookLogger", "PyTorch Lightning", "lightning"),
        ("transformers", "LabWorkbookCallback", "Hugging Face transformers", "transformers"),
    ],
)
def test_making_an_integration_without_its_framework_says_what_to_install(module, name, framework, install):
    probe = (
        "import sys\n"
        f"sys.modules[{install!r}] = None  # as if it were not installed\n"
        f"from lab_workbook_writer.{module} import {name}\n"
        "from lab_workbook_core import MissingDependencyError\n"
        "try:\n"
        f"    {name}()\n"
        "except MissingDependencyError as err:\n"
        "    print(err)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert f"{name} needs {framework}, which cannot be imported" in result.stdout
    assert result.stdout.rstrip().endswith(f"pip install {install}")
