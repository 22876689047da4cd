"""The compatibility matrix: the previous release and today's code read each other's runs (issue 29).

The previous release of core, writer and reader (``.ci/releases.toml``) is built from its commit
into a venv of its own, once per session, and driven through ``tests/compat_side.py`` in a
subprocess. Both directions, on a local store and on the S3 endpoint:

- runs the previous writer recorded are read by today's reader as the previous reader read them;
- today's runs, a resumed run (attempts) and a store with a runs index included, are read by the
  previous reader without an error or a warning, as today's reader reads them;
- what degrades (``docs/format.md``, *Compatibility between releases*): a reader 0.1 that cached a
  failed run keeps showing it failed after it was resumed, until its cache is cleared; today's reader
  sharing that cache folder does not reuse those entries.

It runs on Python 3.11 only, so once per CI run (``hatch test``); the venv takes one to two minutes
(``LAB_WORKBOOK_COMPAT_DIR`` keeps it between sessions).
"""

from __future__ import annotations

from collections.abc import Callable
import json
import os
from pathlib import Path
import subprocess
import sys
from typing import Any

from compat_release import MissingRelease, Release, build_previous_release, previous_releases
import compat_side
import pytest

pytestmark = [
    pytest.mark.skipif(
        sys.version_info[:2] != (3, 11), reason="the compatibility matrix runs once per CI run, on 3.11"
    ),
    pytest.mark.slow,
    pytest.mark.timeout(900),  # the first test builds the previous release's venv (pip, ~1 min)
]

SIDE = Path(compat_side.__file__).resolve()


@pytest.fixture(scope="session")
def previous_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python of a venv holding the previous release of core, writer and reader (built once)."""
    kept = os.environ.get("LAB_WORKBOOK_COMPAT_DIR")
    folder = Path(kept) if kept else tmp_path_factory.mktemp("previous-release")
    try:
        return build_previous_release(folder, previous_releases())
    except MissingRelease as err:
        pytest.fail(str(err), pytrace=False)


@pytest.fixture
def previous(previous_python: Path, tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """``previous(command, prefix, cache=None)``: ``compat_side.py`` run by the previous release; its JSON."""

    def run(command: str, prefix: str, cache: Path | None = None) -> dict[str, Any]:
        environment = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
        environment["LAB_WORKBOOK_CACHE_DIR"] = str(cache or tmp_path / "previous-cache")
        environment["LAB_WORKBOOK_SPOOL_DIR"] = str(tmp_path / "previous-spool")
        result = subprocess.run(
            [str(previous_python), "-I", str(SIDE), command, prefix],  # -I: today's sources stay off its path
            capture_output=True,
            text=True,
            env=environment,
            cwd=tmp_path,
            timeout=300,
        )
        assert result.returncode == 0, f"the previous release failed to {command}:\n{result.stderr[-4000:]}"
        return json.loads(result.stdout.splitlines()[-1])

    return run


def _steps_and_losses(run: dict[str, Any]) -> list[list[float]]:
    return [row[:2] for row in run["series"]["Training loss.csv"]["rows"]]


def test_a_release_whose_commit_is_not_in_the_clone_fails_saying_to_fetch_the_history(tmp_path):
    missing = Release("core", "0.0.9", "0123456789abcdef0123456789abcdef01234567")
    with pytest.raises(MissingRelease, match=r"commit 0123456789ab\w+ of core 0\.0\.9 .*git fetch --unshallow"):
        build_previous_release(tmp_path, [missing])
    assert list(tmp_path.iterdir()) == []  # nothing was built


def test_the_previous_release_is_what_releases_toml_names(previous, local_prefix):
    (reader,) = [release for release in previous_releases() if release.package == "reader"]
    assert previous("read", local_prefix)["version"] == reader.version


def test_runs_of_the_previous_writer_are_read_by_todays_reader_as_by_its_own(previous, store_prefix):
    previous("write-old", store_prefix)
    theirs = previous("read", store_prefix)
    ours = compat_side.read(store_prefix)
    assert ours["runs"] == theirs["runs"] and ours["table"] == theirs["table"]
    finished, failed = ours["runs"]["compat-finished"], ours["runs"]["compat-failed"]
    assert finished["parameters"] == compat_side.PARAMETERS and finished["attempts"] == [[1, "finished"]]
    assert _steps_and_losses(finished) == [[step, loss] for step, loss in enumerate(compat_side.LOSSES)]
    assert (failed["status"], _steps_and_losses(failed)) == ("failed", [[0, 2.0]])
    assert ours["warnings"] == []


def test_todays_runs_index_holds_the_previous_writers_finished_run_as_stored(previous, store_prefix):
    from lab_workbook import ExperimentRepository
    from lab_workbook_core import load_config, open_storage
    from lab_workbook_core.keys import run_record_key
    from lab_workbook_core.record import RunRecord
    from lab_workbook_core.runs_index import decode_index, index_record

    previous("write-old", store_prefix)
    written = ExperimentRepository(store_prefix).write_index()
    assert written.runs == 1 and written.key is not None  # the finished run; a failed one may still be resumed
    storage = open_storage(load_config(store_prefix))
    rows = decode_index(storage.get_bytes(written.key))
    stored = RunRecord.parse(storage.get_bytes(run_record_key("compat-finished")), "compat-finished")
    assert sorted(rows) == ["compat-finished"]
    assert index_record("compat-finished", rows["compat-finished"]) == stored


def test_todays_resumed_run_and_runs_index_are_read_by_the_previous_reader_as_by_todays(previous, store_prefix):
    made = compat_side.write_new(store_prefix)
    assert made["attempt"] == 2 and made["index_key"] is not None
    ours = compat_side.read(store_prefix)
    theirs = previous("read", store_prefix)
    assert theirs["warnings"] == []
    assert sorted(theirs["runs"]) == ["compat-failed", "compat-finished", "compat-resumed"]  # the index is no run
    assert theirs["runs"] == ours["runs"] and theirs["table"] == ours["table"]
    resumed = theirs["runs"]["compat-resumed"]
    assert resumed["attempts"] == [[1, "interrupted"], [2, "finished"]]
    losses = compat_side.LOSSES
    assert _steps_and_losses(resumed) == [[0, losses[0]], [1, losses[1]], [2, losses[2] / 2], [3, losses[3] / 2]]


def test_a_failed_run_resumed_later_is_stale_only_in_a_reader_0_1s_cache(previous, store_prefix, tmp_path, monkeypatch):
    from lab_workbook_writer import new_experiment

    previous("write-old", store_prefix)
    cache = tmp_path / "shared-cache"
    assert previous("read", store_prefix, cache)["runs"]["compat-failed"]["status"] == "failed"
    with new_experiment(store_prefix, resume="compat-failed", capture_environment=False) as wb:
        wb.new_time_series_log("Training loss", ["step", "loss"])(step=1, loss=1.5)

    stale = previous("read", store_prefix, cache)["runs"]["compat-failed"]  # the documented degradation
    fresh = previous("read", store_prefix, tmp_path / "empty-cache")["runs"]["compat-failed"]
    monkeypatch.setenv("LAB_WORKBOOK_CACHE_DIR", str(cache))
    ours = compat_side.read(store_prefix)
    assert (fresh["status"], fresh["attempts"]) == ("finished", [[1, "failed"], [2, "finished"]])
    (reader,) = [release for release in previous_releases() if release.package == "reader"]
    if tuple(map(int, reader.version.split("."))) < (0, 2, 0):  # kept failed runs as final
        assert (stale["status"], stale["attempts"]) == ("failed", [[1, "failed"]])
    else:
        assert stale == fresh
    assert ours["runs"]["compat-failed"] == fresh and ours["table"]["compat-failed"] == "finished"
