"""The writer's public surface is deliberate, typed, and light to import."""

import subprocess
import sys

import lab_workbook_writer


def test_all_is_exactly_the_public_names():
    public = {n for n in vars(lab_workbook_writer) if not n.startswith("_")} - {"lightning", "transformers"}
    assert set(lab_workbook_writer.__all__) == public | {"__version__"}


def test_the_issue_names_are_public():
    for name in (
        "new_experiment",
        "Experiment",
        "TimeSeriesLog",
        "sync",
        "pending_uploads",
        "SyncReport",
        "attach_experiment",
        "distributed_experiment",
        "PendingUpload",
        "__version__",
    ):
        assert name in lab_workbook_writer.__all__, name


def test_package_is_typed():
    from importlib.resources import files

    assert files("lab_workbook_writer").joinpath("py.typed").is_file()


def test_importing_the_writer_loads_neither_pandas_typer_nor_torch():
    probe = (
        "import sys, lab_workbook_writer\n"
        "print(sorted(m for m in ('pandas', 'typer', 'rich', 'torch', 'boto3', 'lab_workbook') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_importing_the_integrations_loads_no_framework_until_a_logger_or_callback_is_made():
    probe = (
        "import sys, lab_workbook_writer, lab_workbook_writer.lightning, lab_workbook_writer.transformers\n"
        "from lab_workbook_writer.lightning import LabWorkbookLogger\n"
        "from lab_workbook_writer.transformers import LabWorkbookCallback\n"
        "print(sorted(m for m in ('lightning', 'pytorch_lightning', 'transformers', 'torch') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_recording_to_a_local_store_loads_neither_pandas_nor_typer(tmp_path):
    probe = (
        "import sys, lab_workbook_writer\n"
        f"wb = lab_workbook_writer.new_experiment({str(tmp_path / 'store')!r})\n"
        "log = wb.new_time_series_log('loss', ['step', 'loss'])\n"
        "log(step=1, loss=0.5); wb.save_json('parameters', {'lr': 0.1}); wb.close()\n"
        "print(sorted(m for m in ('pandas', 'typer', 'rich', 'lab_workbook') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
