"""Where the store is: precedence, the original's file format, and clear errors."""

from pathlib import Path

from lab_workbook_core import ConfigError, default_prefix, load_config, write_config_file
import pytest


def write(home: Path, text: str) -> Path:
    path = home / ".lab-workbook-config"
    path.write_bytes(text.encode())
    return path


def test_original_config_line_works_byte_for_byte(isolated_home):
    write(isolated_home, "bucketPrefix = s3://your-bucket/experiments/\n")
    config = load_config()
    assert config.prefix == "s3://your-bucket/experiments/"
    assert config.location.bucket == "your-bucket" and config.location.base == "experiments/"
    assert config.sources["prefix"].endswith(".lab-workbook-config line 1")


def test_comments_blank_lines_colon_whitespace_and_case(isolated_home):
    write(isolated_home, "# a comment\n; another\n\n   BUCKETPREFIX  :   s3://b/x/   \n")
    assert load_config().prefix == "s3://b/x/"


def test_endpoint_url_key_is_read(isolated_home):
    write(isolated_home, "bucketPrefix = s3://b/\nendpointUrl = http://127.0.0.1:9000\n")
    config = load_config()
    assert config.endpoint_url == "http://127.0.0.1:9000"
    assert config.sources["endpoint_url"].endswith("line 2")


def test_standard_aws_endpoint_variable_wins_over_file(isolated_home, monkeypatch):
    write(isolated_home, "endpointUrl = http://from-file:9000\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://from-env:9000")
    assert load_config("s3://b/").endpoint_url == "http://from-env:9000"


def test_precedence_argument_then_environment_then_file_then_default(isolated_home, monkeypatch, tmp_path):
    assert load_config().prefix == default_prefix()
    assert load_config().sources["prefix"] == "built-in default"
    write(isolated_home, "bucketPrefix = s3://from-file/\n")
    assert load_config().prefix == "s3://from-file/"
    monkeypatch.setenv("LAB_WORKBOOK_PREFIX", "s3://from-env/")
    assert load_config().prefix == "s3://from-env/"
    assert load_config("s3://from-arg/").prefix == "s3://from-arg/"
    assert load_config("s3://from-arg/").sources["prefix"] == "argument"


def test_config_path_can_be_moved_with_environment_variable(tmp_path, monkeypatch):
    other = tmp_path / "elsewhere.cfg"
    other.write_text("bucketPrefix = s3://elsewhere/\n")
    monkeypatch.setenv("LAB_WORKBOOK_CONFIG", str(other))
    assert load_config().prefix == "s3://elsewhere/"


def test_default_store_is_a_local_folder_under_user_data(isolated_home):
    assert load_config().location.scheme == "file"
    assert load_config().location.base.startswith(str(isolated_home))


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        ("bucketPrefix s3://b/\n", 1, "expected 'key = value'"),
        ("# ok\nbucketPrefx = s3://b/\n", 2, "unknown key 'bucketPrefx'"),
        ("\n\nbucketPrefix =\n", 3, "has no value"),
    ],
)
def test_malformed_file_names_file_and_line(isolated_home, text, line, hint):
    path = write(isolated_home, text)
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert f"{path}, line {line}" in str(caught.value)
    assert hint in str(caught.value)


def test_unsupported_scheme_says_where_it_came_from(monkeypatch):
    monkeypatch.setenv("LAB_WORKBOOK_PREFIX", "gs://bucket/x/")
    with pytest.raises(ConfigError, match="LAB_WORKBOOK_PREFIX"):
        load_config()


def test_write_config_file_round_trips(isolated_home):
    path = write_config_file("s3://bucket/experiments/")
    assert "bucketPrefix = s3://bucket/experiments/" in path.read_text()
    assert load_config().prefix == "s3://bucket/experiments/"


def test_nothing_is_read_at_import_time(isolated_home):
    import subprocess
    import sys

    write(isolated_home, "this is not a config file\n")
    # Importing must succeed even with a broken config: it is read only when an object is made.
    subprocess.run([sys.executable, "-c", "import lab_workbook_core"], check=True)


def test_index_writes_setting_comes_from_the_config_file_or_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("bucketPrefix = /data/experiments/\nindexWrites = off\n")
    assert load_config(environ={"LAB_WORKBOOK_CONFIG": str(config)}).index_writes is False
    assert load_config(environ={"LAB_WORKBOOK_CONFIG": str(config), "LAB_WORKBOOK_INDEX_WRITES": "on"}).index_writes
    assert load_config(environ={"LAB_WORKBOOK_CONFIG": str(tmp_path / "none")}).index_writes
    with pytest.raises(ConfigError, match="LAB_WORKBOOK_INDEX_WRITES must be on or off"):
        load_config(environ={"LAB_WORKBOOK_CONFIG": str(config), "LAB_WORKBOOK_INDEX_WRITES": "sometimes"})


def test_listing_max_age_comes_from_the_config_file_or_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("bucketPrefix = /data/experiments/\nlistingMaxAge = 60\n")
    from_file = load_config(environ={"LAB_WORKBOOK_CONFIG": str(config)})
    assert from_file.listing_max_age == 60.0
    assert from_file.sources["listing_max_age"] == f"{config} line 2"
    from_env = load_config(environ={"LAB_WORKBOOK_CONFIG": str(config), "LAB_WORKBOOK_LISTING_MAX_AGE": "0.5"})
    assert from_env.listing_max_age == 0.5
    assert from_env.sources["listing_max_age"] == "environment variable LAB_WORKBOOK_LISTING_MAX_AGE"
    assert load_config(environ={"LAB_WORKBOOK_CONFIG": str(tmp_path / "none")}).listing_max_age is None


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf", "60s"])
def test_a_listing_max_age_that_is_not_seconds_is_an_error_naming_the_line(tmp_path: Path, value: str) -> None:
    config = tmp_path / "config"
    config.write_text(f"bucketPrefix = /data/experiments/\n\nlistingMaxAge = {value}\n")
    with pytest.raises(ConfigError, match=rf"{config}, line 3: listingMaxAge must be a number of seconds"):
        load_config(environ={"LAB_WORKBOOK_CONFIG": str(config)})


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_listing_max_age_variable_that_is_not_seconds_is_an_error_naming_it(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="LAB_WORKBOOK_LISTING_MAX_AGE must be a number of seconds"):
        load_config(environ={"LAB_WORKBOOK_CONFIG": str(tmp_path / "none"), "LAB_WORKBOOK_LISTING_MAX_AGE": value})
