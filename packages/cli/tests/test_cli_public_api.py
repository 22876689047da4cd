"""The package's public surface is deliberate."""

from importlib.resources import files

import lab_workbook_cli


def test_all_is_exactly_the_public_names():
    public = {n for n in vars(lab_workbook_cli) if not n.startswith("_")}
    assert set(lab_workbook_cli.__all__) == public | {"__version__"}
    assert callable(lab_workbook_cli.main)


def test_package_is_typed():
    assert files("lab_workbook_cli").joinpath("py.typed").is_file()
