"""Prefixes and keys exactly as the original computed them."""

from lab_workbook_core import ConfigError, GluedPrefixWarning, LocalStorage, parse_prefix
from lab_workbook_core.keys import artifact_key
import pytest


@pytest.mark.parametrize(
    ("prefix", "bucket", "base"),
    [
        ("s3://bucket/experiments/", "bucket", "experiments/"),
        ("s3://bucket", "bucket", ""),
        ("s3://bucket/", "bucket", ""),
        ("s3://bucket/a/b/", "bucket", "a/b/"),
    ],
)
def test_s3_prefixes(prefix, bucket, base):
    location = parse_prefix(prefix)
    assert (location.scheme, location.bucket, location.base) == ("s3", bucket, base)


def test_key_is_prefix_plus_tag_plus_name_as_in_the_original():
    location = parse_prefix("s3://my-bucket/experiments/")
    key = location.base + artifact_key("201602142341-mn5SvgNxHY", "Training loss.csv")
    assert key == "experiments/201602142341-mn5SvgNxHY/Training loss.csv"


def test_prefix_without_slash_is_glued_with_a_warning():
    with pytest.warns(GluedPrefixWarning, match="no trailing '/'"):
        location = parse_prefix("s3://bucket/experiments")
    assert location.base + artifact_key("TAG", "a.json") == "experimentsTAG/a.json"


def test_plain_directory_and_file_url(tmp_path):
    assert parse_prefix(str(tmp_path)).base == str(tmp_path) + "/"
    assert parse_prefix(f"file://{tmp_path}/").base == f"{tmp_path}/"


def test_glued_local_prefix_writes_beside_the_folder(tmp_path):
    with pytest.warns(GluedPrefixWarning):
        storage = LocalStorage(parse_prefix(f"file://{tmp_path}/exp"))
    storage.put_bytes("TAG/a.json", b"{}")
    assert (tmp_path / "expTAG" / "a.json").read_bytes() == b"{}"
    assert storage.list("").prefixes == ["TAG/"]


@pytest.mark.parametrize("prefix", ["gs://b/", "s3:///nobucket", "file://relative/path", ""])
def test_bad_prefixes_raise_config_error(prefix):
    with pytest.raises(ConfigError):
        parse_prefix(prefix)


def test_only_plain_folders_are_experiments():
    from lab_workbook_core.keys import experiment_tags

    folders = ["201602142341-mn5SvgNxHY/", ".lab-workbook-doctor/", "my-run/", "/", "a/"]
    assert experiment_tags(folders) == ["201602142341-mn5SvgNxHY", "a", "my-run"]
