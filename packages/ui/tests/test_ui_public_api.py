"""The package's public surface is deliberate, and importing it starts nothing."""

from importlib.resources import files

import lab_workbook_ui
from probes import python_output


def test_all_is_exactly_the_public_names():
    public = {n for n in vars(lab_workbook_ui) if not n.startswith("_")}
    assert set(lab_workbook_ui.__all__) == public | {"__version__"}


def test_package_is_typed_and_ships_its_page_and_vendored_plot_library():
    package = files("lab_workbook_ui")
    assert package.joinpath("py.typed").is_file()
    for name in ("index.html", "app.js", "style.css", "vendor/uPlot.iife.min.js", "vendor/uPlot.LICENSE"):
        assert package.joinpath("static", name).is_file(), name


def test_the_page_loads_nothing_from_elsewhere():
    page = files("lab_workbook_ui").joinpath("static", "index.html").read_text()
    script = files("lab_workbook_ui").joinpath("static", "app.js").read_text()
    assert "http://" not in page and "https://" not in page
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script


def test_importing_reads_no_config_and_imports_no_torch():
    probe = "import sys, lab_workbook_ui; print('torch' in sys.modules, 'boto3' in sys.modules)"
    assert python_output(probe).split() == ["False", "False"]
