"""``lab-workbook config``: the effective store, where each value came from, and ``--init``."""

import json

from lab_workbook_cli import app


def test_shows_the_built_in_default_when_nothing_is_configured(runner):
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "built-in default" in result.stdout


def test_json_names_the_source_of_each_value(runner, monkeypatch):
    monkeypatch.setenv("LAB_WORKBOOK_PREFIX", "s3://bucket/exp/")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    data = json.loads(runner.invoke(app, ["config", "--json"]).stdout)
    assert data["prefix"] == "s3://bucket/exp/"
    assert data["endpoint_url"] == "http://127.0.0.1:9"
    assert data["sources"] == {
        "prefix": "environment variable LAB_WORKBOOK_PREFIX",
        "endpoint_url": "environment variable AWS_ENDPOINT_URL_S3",
        "region": "environment variable AWS_DEFAULT_REGION",
        "checksum_mode": "default for a custom endpoint",
    }
    assert (data["region"], data["addressing_style"], data["checksum_mode"]) == ("us-east-1", None, "when_required")


def test_prefix_option_wins_over_the_environment(runner, monkeypatch):
    monkeypatch.setenv("LAB_WORKBOOK_PREFIX", "s3://bucket/env/")
    data = json.loads(runner.invoke(app, ["config", "--json", "--prefix", "s3://bucket/arg/"]).stdout)
    assert (data["prefix"], data["sources"]["prefix"]) == ("s3://bucket/arg/", "argument")


def test_init_writes_the_config_file_in_the_original_format(runner, isolated_home):
    result = runner.invoke(app, ["config", "--init", "s3://my-bucket/experiments/"])
    assert result.exit_code == 0, result.output
    text = (isolated_home / ".lab-workbook-config").read_text()
    assert "bucketPrefix = s3://my-bucket/experiments/" in text
    assert ".lab-workbook-config line" in result.stdout


def test_init_records_the_s3_compatibility_settings(runner, isolated_home, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)  # the environment would win over the file
    args = [
        "config",
        "--init",
        "s3://b/x/",
        "--endpoint-url",
        "http://127.0.0.1:9000",
        "--region",
        "eu-west-3",
        "--addressing-style",
        "path",
        "--checksum-mode",
        "when_supported",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = (isolated_home / ".lab-workbook-config").read_text()
    for line in (
        "endpointUrl = http://127.0.0.1:9000",
        "region = eu-west-3",
        "addressingStyle = path",
        "checksumMode = when_supported",
    ):
        assert line in text
    data = json.loads(runner.invoke(app, ["config", "--json"]).stdout)
    assert (data["region"], data["addressing_style"], data["checksum_mode"]) == ("eu-west-3", "path", "when_supported")


def test_init_refuses_an_unknown_addressing_style_and_writes_nothing(runner, isolated_home):
    result = runner.invoke(app, ["config", "--init", "s3://b/", "--addressing-style", "sideways"])
    assert result.exit_code == 1
    assert "auto, path, virtual" in result.stderr
    assert not (isolated_home / ".lab-workbook-config").exists()


def test_init_refuses_to_overwrite_an_existing_file(runner, isolated_home):
    path = isolated_home / ".lab-workbook-config"
    path.write_text("bucketPrefix = s3://keep/me/\n")
    result = runner.invoke(app, ["config", "--init", "s3://other/"])
    assert result.exit_code == 1
    assert "--force" in result.stderr
    assert path.read_text() == "bucketPrefix = s3://keep/me/\n"


def test_init_with_force_overwrites(runner, isolated_home):
    path = isolated_home / ".lab-workbook-config"
    path.write_text("bucketPrefix = s3://old/\n")
    result = runner.invoke(app, ["config", "--init", "s3://new/", "--force"])
    assert result.exit_code == 0, result.output
    assert "s3://new/" in path.read_text()


def test_a_malformed_config_file_is_one_line_naming_file_and_line(runner, isolated_home):
    (isolated_home / ".lab-workbook-config").write_text("# ok\nthis is not a setting\n")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "line 2" in result.stderr and "Traceback" not in result.output


def test_force_without_init_is_a_usage_error(runner):
    assert runner.invoke(app, ["config", "--force"]).exit_code == 2


def test_region_without_init_is_a_usage_error_naming_the_option(runner):
    result = runner.invoke(app, ["config", "--region", "eu-west-3"])
    assert result.exit_code == 2
    assert "--region" in result.output


def test_shows_whether_readers_write_the_runs_index_and_why(runner, monkeypatch):
    monkeypatch.setenv("LAB_WORKBOOK_INDEX_WRITES", "off")
    result = runner.invoke(app, ["config"])
    assert "index_writes" in result.stdout and "environment variable LAB_WORKBOOK_INDEX_WRITES" in result.stdout
    data = json.loads(runner.invoke(app, ["config", "--json"]).stdout)
    assert data["index_writes"] is False


def test_shows_the_accepted_age_of_a_kept_listing_and_why(runner, monkeypatch):
    monkeypatch.setenv("LAB_WORKBOOK_LISTING_MAX_AGE", "90")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "listing_max_age" in result.stdout and "90 s" in result.stdout
    assert "environment variable LAB_WORKBOOK_LISTING_MAX_AGE" in result.stdout
    assert json.loads(runner.invoke(app, ["config", "--json"]).stdout)["listing_max_age"] == 90.0
    monkeypatch.delenv("LAB_WORKBOOK_LISTING_MAX_AGE")
    assert json.loads(runner.invoke(app, ["config", "--json"]).stdout)["listing_max_age"] is None
    assert "listing_max_age  none" in runner.invoke(app, ["config"]).stdout


def test_a_listing_max_age_that_is_not_seconds_is_an_error_naming_the_variable(runner, monkeypatch):
    monkeypatch.setenv("LAB_WORKBOOK_LISTING_MAX_AGE", "a minute")
    result = runner.invoke(app, ["config"])
    assert result.exit_code != 0
    assert "LAB_WORKBOOK_LISTING_MAX_AGE must be a number of seconds" in result.output
    assert "Traceback" not in result.output
