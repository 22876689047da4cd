"""The versions report: each package's version as its source says, and the formats core writes and reads."""

from lab_workbook_core import __version__
from lab_workbook_core.environment import ENVIRONMENT_FORMAT_VERSION
from lab_workbook_core.record import RECORD_FORMAT_VERSION
from lab_workbook_core.runs_index import INDEX_FORMAT_VERSION
from lab_workbook_core.versions import PACKAGES, installed_versions, versions_report


def test_core_reports_the_version_of_its_own_source():
    assert installed_versions()["lab-workbook-core"] == __version__


def test_a_package_that_is_not_installed_is_reported_as_such():
    assert installed_versions((("lab-workbook-nothing", "lab_workbook_no_such_module"),)) == {
        "lab-workbook-nothing": None
    }
    assert versions_report((("lab-workbook-nothing", "lab_workbook_no_such_module"),)).splitlines()[0].split() == [
        "lab-workbook-nothing",
        "not",
        "installed",
    ]


def test_the_report_lists_every_package_then_the_format_versions():
    lines = versions_report().splitlines()
    assert [line.split()[0] for line in lines[: len(PACKAGES)]] == [name for name, _ in PACKAGES]
    formats = lines[len(PACKAGES)]
    assert formats.split(None, 1)[1].startswith(
        f"run record {RECORD_FORMAT_VERSION}, runs index {INDEX_FORMAT_VERSION}, environment {ENVIRONMENT_FORMAT_VERSION}"
    )


def test_the_environment_artifact_names_the_format_version_it_is_written_in():
    from lab_workbook_core.environment import Environment

    text = Environment(facts={"python": "3.11.7"}).render()
    assert text.splitlines()[0] == f"# lab-workbook environment, format {ENVIRONMENT_FORMAT_VERSION}"
