"""The public surface is deliberate: ``__all__`` lists exactly the public names."""

import lab_workbook_core
from lab_workbook_core import errors


def test_all_is_exactly_the_public_names():
    public = {n for n in vars(lab_workbook_core) if not n.startswith("_")} - {
        "attempts",
        "concurrency",
        "config",
        "environment",
        "errors",
        "files",
        "hints",
        "keys",
        "location",
        "names",
        "record",
        "runs_index",
        "series_csv",
        "storage",
        "summary",
        "tag_arguments",
        "tags",
        "times",
        "versions",
    }
    assert set(lab_workbook_core.__all__) == public | {"__version__"}


def test_every_error_derives_from_the_one_base():
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.LabWorkbookError), name


def test_not_found_is_a_key_error_with_a_readable_message():
    err = errors.ArtifactNotFound("no artifact 'x'; try 'y'")
    assert isinstance(err, KeyError)
    assert str(err) == "no artifact 'x'; try 'y'"


def test_package_is_typed():
    from importlib.resources import files

    assert files("lab_workbook_core").joinpath("py.typed").is_file()
