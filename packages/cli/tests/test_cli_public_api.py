"""The package's public surface is deliberate."""

from importlib.resources import files

import lab_workbook_cli


def test_all_is_exactly_the_public_names():
    public = {n for n in vars(lab_workbook_cli) if not n.startswith("_")}
    modules = {"app", "commands", "errors", "options", "output", "probes", "safe_text", "store", "summary", "tags"}
    # `app` is both the module and the re-exported Typer object: the object wins.
    assert set(lab_workbook_cli.__all__) == (public - modules) | {"__version__", "app"}
    assert callable(lab_workbook_cli.main)


def test_package_is_typed():
    assert files("lab_workbook_cli").joinpath("py.typed").is_file()
