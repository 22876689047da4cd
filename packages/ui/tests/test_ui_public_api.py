"""The package's public surface is deliberate, and importing it starts nothing."""

from importlib.resources import files
import re

import lab_workbook_ui
from probes import python_output

# The page's own scripts, in the order index.html loads them.
PAGE_SCRIPTS = ("sweep.js", "table.js", "panels.js", "runpage.js", "app.js")


def test_all_is_exactly_the_public_names():
    public = {n for n in vars(lab_workbook_ui) if not n.startswith("_")}
    assert set(lab_workbook_ui.__all__) == public | {"__version__"}


def test_package_is_typed_and_ships_its_page_and_vendored_plot_library():
    package = files("lab_workbook_ui")
    assert package.joinpath("py.typed").is_file()
    for name in ("index.html", "style.css", *PAGE_SCRIPTS, "vendor/uPlot.iife.min.js", "vendor/uPlot.LICENSE"):
        assert package.joinpath("static", name).is_file(), name


def test_the_page_loads_its_own_scripts_in_order_and_nothing_from_elsewhere():
    static = files("lab_workbook_ui").joinpath("static")
    page = static.joinpath("index.html").read_text()
    assert "http://" not in page and "https://" not in page
    loaded = re.findall(r'<script src="/static/([^"]+)"', page)
    assert loaded == ["vendor/uPlot.iife.min.js", *PAGE_SCRIPTS]  # app.js last: it starts the page
    for name in PAGE_SCRIPTS:
        script = static.joinpath(name).read_text()
        assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script, name


def test_importing_reads_no_config_and_imports_no_torch():
    probe = "import sys, lab_workbook_ui; print('torch' in sys.modules, 'boto3' in sys.modules)"
    assert python_output(probe).split() == ["False", "False"]
