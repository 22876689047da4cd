"""Damaged or hostile buckets (issue 9, item 7): one bad run never hides the others, torn lines are
dropped, stored text never drives the terminal, a symlink never leads out of a local store, and the
CLI's own bugs are never disguised as user errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

from lab_workbook import ExperimentRepository
from lab_workbook_cli import app
from lab_workbook_core.keys import run_record_key
from lab_workbook_writer import new_experiment
import pytest
from typer.testing import CliRunner


def _run(prefix: str, description: str = "ok", lr: float = 0.1) -> str:
    with new_experiment(prefix, description=description) as wb:
        wb.save_json("parameters", {"lr": lr})
        log = wb.new_time_series_log("loss", ["step", "loss"])
        for step in range(3):
            log(step=step, loss=1.0 + step)
    return wb.tag


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_one_malformed_run_record_is_listed_as_unreadable_and_hides_no_other_run(runner, local_prefix):
    good_a, good_b, bad = _run(local_prefix, lr=0.1), _run(local_prefix, lr=0.2), _run(local_prefix)
    (Path(local_prefix) / run_record_key(bad)).write_text('{"status": "finished", "started": ')
    result = runner.invoke(app, ["list", "--json", "--prefix", local_prefix])
    assert result.exit_code == 0, result.output
    rows = {row["tag"]: row for row in json.loads(result.stdout)}
    assert rows[good_a]["status"] == rows[good_b]["status"] == "finished"
    assert rows[bad]["status"] == "unreadable"
    assert "not valid JSON" in rows[bad]["problem"]
    assert "not valid JSON" in runner.invoke(app, ["list", "--prefix", local_prefix]).stdout
    diff = runner.invoke(app, ["diff", good_a, good_b, "--prefix", local_prefix])
    assert diff.exit_code == 0, diff.output
    assert "lr" in diff.stdout
    table = ExperimentRepository(local_prefix).runs()
    assert dict(zip(table["tag"], table["status"], strict=True))[bad] == "unreadable"


def test_a_torn_last_line_of_a_final_csv_is_dropped(local_prefix):
    tag = _run(local_prefix)
    path = Path(local_prefix) / tag / "loss.csv"
    path.write_bytes(path.read_bytes() + b"3,0.")  # an upload cut short by a broken store
    frame = ExperimentRepository(local_prefix)[tag].load_series("loss.csv")
    assert list(frame.index) == [0, 1, 2]
    assert list(frame["loss"]) == [1.0, 2.0, 3.0]


def test_escape_codes_in_stored_text_never_reach_the_terminal(runner, local_prefix):
    hostile = "evil \x1b]0;pwned\x07\x1b[2J\x9b31m\u202eroot"
    with new_experiment(local_prefix, description=hostile) as wb:
        wb.save_json("parameters", {"name\x1b[31m": "x\x1b[5m"})
    # The writer refuses such a name at the call; a hostile or foreign writer can still put one in the bucket.
    (Path(local_prefix) / wb.tag / "odd\x1b[1mname.json").write_text("{}")
    for command in (["show", wb.tag], ["list"], ["show", wb.tag, "--json"], ["list", "--json"]):
        result = runner.invoke(app, [*command, "--prefix", local_prefix])
        assert result.exit_code == 0, result.output
        for char in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert char not in result.output, (command, char)
    shown = runner.invoke(app, ["show", wb.tag, "--prefix", local_prefix]).stdout
    assert "\\x1b]0;pwned" in shown and "odd\\x1b[1mname.json" in shown


def test_a_symlink_into_a_sibling_folder_cannot_be_read_through_the_store(runner, tmp_path):
    store, secrets = tmp_path / "store", tmp_path / "store-secrets"
    tag = _run(str(store) + "/")
    secrets.mkdir()
    (secrets / "key.txt").write_text("TOP-SECRET")
    os.symlink(secrets / "key.txt", store / tag / "leak.txt")
    result = runner.invoke(app, ["cat", tag, "leak.txt", "--prefix", str(store) + "/"])
    assert result.exit_code == 1
    assert "TOP-SECRET" not in result.output
    assert "outside the store" in result.stderr


def test_a_bug_in_the_cli_is_not_disguised_as_a_user_error(runner, local_prefix, monkeypatch):
    from lab_workbook_cli._commands import list as list_command

    _run(local_prefix)

    def broken(exp):
        return {}["a key the code forgot"]

    monkeypatch.setattr(list_command, "run_summary", broken)
    result = runner.invoke(app, ["list", "--prefix", local_prefix])
    assert isinstance(result.exception, KeyError)
    assert not result.stderr.startswith("error:")


def test_an_os_error_naming_no_file_is_not_a_user_error(runner, local_prefix, monkeypatch):
    from lab_workbook_cli._commands import list as list_command

    _run(local_prefix)

    def broken(exp):
        raise OSError("internal failure with no file")

    monkeypatch.setattr(list_command, "run_summary", broken)
    result = runner.invoke(app, ["list", "--prefix", local_prefix])
    assert isinstance(result.exception, OSError)
