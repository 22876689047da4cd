"""``lab-workbook list``: newest first, filters, limit, JSON, and plain output when piped."""

from datetime import UTC, datetime
import json
from pathlib import Path

from builders import StoreBuilder
from lab_workbook_cli import app


def _fill(make_run, prefix):
    make_run(prefix, "202401011000-aaaaaaaaaa", {"a.txt": "a"}, description="first")
    make_run(prefix, "202402011000-bbbbbbbbbb", {"a.txt": "a", "b.txt": "b"}, status="failed")
    make_run(prefix, "202403011000-cccccccccc", {}, minutes=90, description="third")


def test_lists_runs_newest_first(runner, store_prefix, make_run):
    _fill(make_run, store_prefix)
    result = runner.invoke(app, ["list", "--prefix", store_prefix])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:1] == ["tag"]
    assert [line.split()[0] for line in lines[1:]] == [
        "202403011000-cccccccccc",
        "202402011000-bbbbbbbbbb",
        "202401011000-aaaaaaaaaa",
    ]


def test_json_rows_have_stable_keys_and_iso_dates(runner, local_prefix, make_run):
    _fill(make_run, local_prefix)
    rows = json.loads(runner.invoke(app, ["list", "--json", "--prefix", local_prefix]).stdout)
    assert rows[0] == {
        "tag": "202403011000-cccccccccc",
        "status": "finished",
        "problem": None,
        "started": "2024-03-01T10:00:00Z",
        "ended": "2024-03-01T11:30:00Z",
        "duration_seconds": 5400.0,
        "attempts": 1,
        "parent": None,
        "description": "third",
        "artifacts": 0,
    }
    assert rows[1]["artifacts"] == 2


def test_status_filter(runner, local_prefix, make_run):
    _fill(make_run, local_prefix)
    rows = json.loads(runner.invoke(app, ["list", "--json", "--status", "failed", "--prefix", local_prefix]).stdout)
    assert [r["tag"] for r in rows] == ["202402011000-bbbbbbbbbb"]


def test_an_unknown_status_is_a_usage_error_listing_the_readers_statuses(runner, local_prefix):
    from lab_workbook_core.record import STATUSES

    result = runner.invoke(app, ["list", "--status", "done", "--prefix", local_prefix])
    assert result.exit_code == 2
    assert ", ".join(STATUSES) in " ".join(result.output.split())


def test_a_damaged_record_can_be_filtered_as_unreadable(runner, local_prefix, make_run):
    from lab_workbook_core import load_config, open_storage
    from lab_workbook_core.keys import run_record_key

    make_run(local_prefix, "202401011000-aaaaaaaaaa")
    damaged = make_run(local_prefix, "202401011001-bbbbbbbbbb")
    open_storage(load_config(local_prefix)).put_bytes(run_record_key(damaged), b'{"status": ')
    rows = json.loads(runner.invoke(app, ["list", "--json", "--status", "unreadable", "--prefix", local_prefix]).stdout)
    assert [r["tag"] for r in rows] == [damaged]


def _damage(prefix, tag, data: bytes):
    from lab_workbook_core import load_config, open_storage
    from lab_workbook_core.keys import run_record_key

    open_storage(load_config(prefix)).put_bytes(run_record_key(tag), data)


def test_an_empty_record_is_unreadable_with_the_reason_not_unknown(runner, local_prefix, make_run):
    damaged = make_run(local_prefix, "202401011001-bbbbbbbbbb")
    _damage(local_prefix, damaged, b"")
    (row,) = json.loads(runner.invoke(app, ["list", "--json", "--prefix", local_prefix]).stdout)
    assert (row["status"], row["problem"]) == ("unreadable", f"the run record of {damaged} is empty (0 bytes)")
    assert "is empty (0 bytes)" in runner.invoke(app, ["list", "--prefix", local_prefix]).stdout


def test_a_record_field_of_the_wrong_type_is_named_in_the_table(runner, local_prefix, make_run):
    damaged = make_run(local_prefix, "202401011001-bbbbbbbbbb")
    _damage(local_prefix, damaged, b'{"status": 5, "started": "2024-01-01T10:01:00Z"}')
    line = runner.invoke(app, ["list", "--prefix", local_prefix]).stdout.splitlines()[1]
    assert line.split()[:3] == [damaged, "-", "unreadable"]
    assert "'status' 5 (an integer; a string expected)" in line


def test_on_a_terminal_an_unreadable_status_and_its_reason_are_red(runner, local_prefix, make_run):
    damaged = make_run(local_prefix, "202401011001-bbbbbbbbbb")
    _damage(local_prefix, damaged, b"")
    out = runner.invoke(app, ["list", "--prefix", local_prefix], env={"FORCE_COLOR": "1", "NO_COLOR": None}).stdout
    assert "\x1b[31munreadable" in out and "unreada…" not in out  # the status whole, even on 80 columns
    assert "\x1b[31mthe" in out


def test_json_strings_decode_to_the_visible_escapes_never_to_control_characters(runner, local_prefix, make_run):
    hostile = "evil \x1b]0;pwned\x07\x1b[2J\x9b31m\u202eroot\r"
    make_run(local_prefix, "202401011000-aaaaaaaaaa", description=hostile)
    for command in (["list", "--json"], ["show", "latest", "--json"]):
        result = runner.invoke(app, [*command, "--prefix", local_prefix])
        description = json.loads(result.stdout)[0 if command[0] == "list" else "description"]
        description = description["description"] if isinstance(description, dict) else description
        assert description == "evil \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eroot\\x0d", command
        decoded = json.dumps(json.loads(result.stdout), ensure_ascii=False)
        assert not any(char in decoded for char in ("\x1b", "\x07", "\x9b", "\u202e", "\r")), command


def test_since_filter(runner, local_prefix, make_run):
    _fill(make_run, local_prefix)
    rows = json.loads(runner.invoke(app, ["list", "--json", "--since", "2024-02-01", "--prefix", local_prefix]).stdout)
    assert [r["tag"] for r in rows] == ["202403011000-cccccccccc", "202402011000-bbbbbbbbbb"]


def test_since_reads_a_users_tag_that_only_looks_like_a_date(runner, local_prefix):
    StoreBuilder(local_prefix).record("202401011000-mine", started=datetime(2024, 6, 1, tzinfo=UTC))
    rows = json.loads(runner.invoke(app, ["list", "--json", "--since", "2024-05-01", "--prefix", local_prefix]).stdout)
    assert [(r["tag"], r["started"]) for r in rows] == [("202401011000-mine", "2024-06-01T00:00:00Z")]


def test_limit_keeps_the_newest_and_says_so(runner, local_prefix, make_run):
    _fill(make_run, local_prefix)
    result = runner.invoke(app, ["list", "--json", "--limit", "1", "--prefix", local_prefix])
    assert [r["tag"] for r in json.loads(result.stdout)] == ["202403011000-cccccccccc"]
    assert "--limit 0" in result.stderr


def test_runs_of_the_original_tool_are_status_unknown(runner, local_prefix, make_run):
    make_run(local_prefix, "201602142341-mn5SvgNxHY", {"parameters.json": "{}"}, record=False)
    rows = json.loads(runner.invoke(app, ["list", "--json", "--prefix", local_prefix]).stdout)
    assert (rows[0]["status"], rows[0]["started"], rows[0]["duration_seconds"]) == ("unknown", None, None)


def test_an_empty_store_says_so_on_stderr(runner, local_prefix):
    Path(local_prefix).mkdir()
    result = runner.invoke(app, ["list", "--prefix", local_prefix])
    assert (result.exit_code, result.stdout) == (0, "")
    assert "no experiments" in result.stderr


def test_piped_output_has_no_colour_no_box_no_trailing_spaces(runner, local_prefix, make_run):
    _fill(make_run, local_prefix)
    out = runner.invoke(app, ["list", "--prefix", local_prefix]).stdout
    assert "\x1b[" not in out
    assert not any(ch in out for ch in "─│┃━")
    assert all(line == line.rstrip() for line in out.splitlines())


def test_descriptions_are_shown_verbatim_not_as_markup(runner, local_prefix, make_run):
    make_run(local_prefix, "202401011000-aaaaaaaaaa", description="try [bold]x[/bold]")
    assert "try [bold]x[/bold]" in runner.invoke(app, ["list", "--prefix", local_prefix]).stdout


def test_on_a_terminal_statuses_are_coloured(runner, local_prefix, make_run):
    _fill(make_run, local_prefix)
    out = runner.invoke(app, ["list", "--prefix", local_prefix], env={"FORCE_COLOR": "1", "NO_COLOR": None}).stdout
    assert "\x1b[31m" in out or "\x1b[91m" in out  # red 'failed'


def test_no_color_turns_colour_off_even_on_a_terminal(runner, local_prefix, make_run):
    _fill(make_run, local_prefix)
    out = runner.invoke(app, ["list", "--prefix", local_prefix], env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\x1b[31m" not in out and "\x1b[32m" not in out


def _repositories(monkeypatch):
    """The repositories the commands open, to count their requests."""
    from lab_workbook_cli import _store as store

    made = []
    opener = store.open_repository

    def remember(prefix):
        wb = opener(prefix)
        made.append(wb)
        return wb

    monkeypatch.setattr(store, "open_repository", remember)
    monkeypatch.setattr("lab_workbook_cli._commands.list.open_repository", remember)
    return made


def test_runs_recorded_by_the_writer_cost_one_get_then_none(runner, store_prefix, monkeypatch):
    from lab_workbook_writer import new_experiment

    tags = []
    for lr in (0.1, 0.01):
        with new_experiment(store_prefix) as exp:
            exp.save_json("parameters", {"lr": lr})
            exp.new_time_series_log("loss", ["step", "loss"])(step=0, loss=lr)
            tags.append(exp.tag)
    made = _repositories(monkeypatch)
    first = json.loads(runner.invoke(app, ["list", "--json", "--prefix", store_prefix]).stdout)
    # parameters.json, loss.csv and Environment.txt, counted from the final records: no listing per run
    assert [row["artifacts"] for row in first] == [3, 3]
    assert made[0].storage.requests["get"] == 2
    assert made[0].storage.requests["list"] == 1
    second = json.loads(runner.invoke(app, ["list", "--json", "--prefix", store_prefix]).stdout)
    assert second == first
    assert made[1].storage.requests["get"] == 0  # the records are on disk since the first list


def test_list_runs_without_importing_pandas(local_prefix, make_run):
    from probes import python_output

    _fill(make_run, local_prefix)
    probe = (
        "import contextlib, io, json, sys\n"
        "from lab_workbook_cli import app\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        f"        app(['list', '--json', '--prefix', {local_prefix!r}], standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(len(json.loads(out.getvalue())), 'pandas' in sys.modules)\n"
    )
    assert python_output(probe).split() == ["3", "False"]  # pandas is most of a second of a new process


def test_json_has_one_run_per_line(runner, local_prefix, make_run):
    _fill(make_run, local_prefix)
    lines = runner.invoke(app, ["list", "--json", "--prefix", local_prefix]).stdout.splitlines()
    assert (lines[0], lines[-1]) == ("[", "]")
    assert [json.loads(line.rstrip(","))["tag"] for line in lines[1:-1]] == [
        "202403011000-cccccccccc",
        "202402011000-bbbbbbbbbb",
        "202401011000-aaaaaaaaaa",
    ]


def test_json_records_print_nan_as_null_and_no_records_as_an_empty_list(capsys):
    from lab_workbook_cli._output import print_json_records

    print_json_records([{"tag": "a", "loss": float("nan")}, {"tag": "b", "loss": 1.5}])
    out = capsys.readouterr().out
    assert json.loads(out) == [{"tag": "a", "loss": None}, {"tag": "b", "loss": 1.5}]
    print_json_records([])
    assert capsys.readouterr().out == "[]\n"


def test_a_second_list_in_a_new_process_makes_no_row_for_a_finished_run(runner, store_prefix, make_run, monkeypatch):
    _fill(make_run, store_prefix)
    first = json.loads(runner.invoke(app, ["list", "--json", "--prefix", store_prefix]).stdout)
    from lab_workbook_cli._commands import list as command

    made_again = []
    summary = command.run_summary

    def remade(exp):
        made_again.append(exp.tag)
        return summary(exp)

    monkeypatch.setattr(command, "run_summary", remade)
    assert json.loads(runner.invoke(app, ["list", "--json", "--prefix", store_prefix]).stdout) == first
    # Only the failed run's row is made again: it may still be resumed (new_experiment(resume=TAG)).
    assert made_again == ["202402011000-bbbbbbbbbb"]


def test_a_failed_run_resumed_since_the_last_list_shows_its_new_status(runner, store_prefix, make_run):
    # A failed run may be resumed (new_experiment(resume=TAG)) and finish: nothing kept of it may hide that.
    _fill(make_run, store_prefix)
    runner.invoke(app, ["list", "--json", "--prefix", store_prefix])
    make_run(store_prefix, "202402011000-bbbbbbbbbb", {"a.txt": "a", "b.txt": "b"}, status="finished")
    rows = json.loads(runner.invoke(app, ["list", "--json", "--prefix", store_prefix]).stdout)
    assert {row["tag"]: row["status"] for row in rows}["202402011000-bbbbbbbbbb"] == "finished"
