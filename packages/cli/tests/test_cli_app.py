"""The whole command: exit codes 0/1/2, one-line errors, help, version, completion."""

from pathlib import Path

from lab_workbook_cli import __version__, app
import pytest


def test_version_lists_every_installed_package_and_the_formats(runner):
    import lab_workbook
    from lab_workbook_core.record import RECORD_FORMAT_VERSION

    result = runner.invoke(app, ["--version"])
    lines = [line.split(None, 1) for line in result.stdout.splitlines()]
    assert result.exit_code == 0
    assert ["lab-workbook-cli", __version__] in lines
    assert ["lab-workbook", lab_workbook.__version__] in lines
    assert dict(lines)["formats"].startswith(f"run record {RECORD_FORMAT_VERSION},")


def test_no_arguments_shows_the_commands(runner):
    result = runner.invoke(app, [])
    for command in ("list", "show", "cat", "get", "diff", "plot", "sync", "config", "doctor"):
        assert f"  {command} " in result.output, command


def test_an_unknown_option_is_a_usage_error_exit_2(runner):
    assert runner.invoke(app, ["config", "--no-such-option"]).exit_code == 2


def test_an_unknown_command_is_a_usage_error_exit_2(runner):
    assert runner.invoke(app, ["frobnicate"]).exit_code == 2


def test_a_missing_argument_is_a_usage_error_exit_2(runner):
    assert runner.invoke(app, ["get"]).exit_code == 2


def test_an_unknown_tag_is_exit_1_with_one_line_and_no_traceback(runner, local_prefix, make_run):
    make_run(local_prefix, "202401011000-aaaaaaaaaa")
    result = runner.invoke(app, ["get", "nope", "--prefix", local_prefix])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: no experiment 'nope'")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_an_unsupported_prefix_is_exit_1_naming_where_it_came_from(runner):
    result = runner.invoke(app, ["get", "latest", "--prefix", "ftp://host/x/"])
    assert result.exit_code == 1
    assert "not supported" in result.stderr and "argument" in result.stderr


def test_a_glued_prefix_warning_is_one_line_on_stderr(runner, s3_bucket):
    result = runner.invoke(app, ["get", "latest", "--prefix", f"s3://{s3_bucket}/exp"])
    assert "warning: store prefix" in result.stderr
    assert ".py:" not in result.stderr  # not Python's file:line warning format


def test_completion_is_offered(runner):
    assert "--install-completion" in runner.invoke(app, ["--help"]).stdout


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["list", "--json"],
        ["show", "latest"],
        ["cat", "latest", "parameters.json"],
        ["get", "latest"],
        ["diff", "-2", "-1"],
        ["env", "latest"],
        ["checkout", "latest"],
        ["plot", "latest", "-a", "loss", "-f", "loss"],
    ],
)
def test_a_local_store_folder_that_does_not_exist_is_an_error_not_an_empty_store(runner, tmp_path, command):
    folder = tmp_path / "typo"
    result = runner.invoke(app, [*command, "--prefix", str(folder) + "/"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"error: the store folder {folder} does not exist")
    assert not folder.exists()


def test_the_built_in_store_before_the_first_run_is_an_empty_store_not_an_error(runner):
    # isolated_home: no config file, no LAB_WORKBOOK_PREFIX, so the prefix is the built-in default,
    # whose folder a fresh machine does not have until its first run.
    from lab_workbook_core import load_config

    config = load_config()
    assert config.sources["prefix"] == "built-in default" and not Path(config.prefix).exists()
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.stderr
    assert not Path(config.prefix).exists()


def test_a_warning_repeated_by_a_long_running_command_is_printed_once(capsys):
    # `lab-workbook ui` reads its runs table again at every poll, and pandas' own catch_warnings
    # resets the warnings registry in between: the same warning must still show only once.
    import warnings

    from lab_workbook_cli._errors import reported_errors

    with reported_errors():
        for _ in range(3):
            with warnings.catch_warnings():
                pass
            warnings.warn("run T could not be read", UserWarning, stacklevel=1)
        warnings.warn("run U could not be read", UserWarning, stacklevel=1)
    assert capsys.readouterr().err == "warning: run T could not be read\nwarning: run U could not be read\n"
