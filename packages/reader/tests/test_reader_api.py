"""The public surface, cheap import, and store errors that reach the user unchanged."""

import lab_workbook
from lab_workbook import CredentialsError, ExperimentRepository, StorageError
from probes import python_output
import pytest


def test_all_is_exactly_the_public_names():
    public = {n for n in vars(lab_workbook) if not n.startswith("_")}
    assert set(lab_workbook.__all__) == public | {"__version__"}


def test_importing_reads_no_config_and_imports_no_torch_nor_boto3_nor_pandas():
    # pandas is most of a second on a slow core: `lab-workbook list` never needs it; pygments is
    # imported by the first coloured patch.
    probe = (
        "import sys, lab_workbook; print(*(name in sys.modules for name in ('torch', 'boto3', 'pandas', 'pygments')))"
    )
    assert python_output(probe).split() == ["False", "False", "False", "False"]


def test_records_and_json_need_no_pandas_and_a_series_imports_it_when_loaded(local_store):
    local_store.finished(
        "202601010000-noPandasAA", {"parameters.json": '{"lr": 0.1}', "Loss.csv": "step,loss\n0,1.5\n"}
    )
    probe = (
        "import sys, lab_workbook\n"
        f"wb = lab_workbook.ExperimentRepository({local_store.prefix!r})\n"
        "exp = wb[0]\n"
        "print(exp.status, exp['parameters.json']['lr'], exp.artifacts()[0].name, 'pandas' in sys.modules)\n"
        "print(float(exp['Loss.csv'].loss.iloc[0]), 'pandas' in sys.modules)\n"
    )
    assert python_output(probe).split() == ["finished", "0.1", "Loss.csv", "False", "1.5", "True"]


def test_loading_a_json_does_not_import_torch(local_store):
    local_store.finished("202601010000-noTorchAAA", {"parameters.json": "{}"})
    probe = (
        "import sys, lab_workbook\n"
        f"wb = lab_workbook.ExperimentRepository({local_store.prefix!r})\n"
        "wb[0]['parameters.json']\n"
        "print('torch' in sys.modules)\n"
    )
    assert python_output(probe).strip() == "False"


def test_the_prefix_comes_from_the_environment_when_not_given(local_store, monkeypatch):
    local_store.finished("202601010000-envPrefixA", {"a.txt": ""})
    monkeypatch.setenv("LAB_WORKBOOK_PREFIX", local_store.prefix)
    wb = ExperimentRepository()
    assert [e.tag for e in wb[:]] == ["202601010000-envPrefixA"]
    assert wb.config.sources["prefix"] == "environment variable LAB_WORKBOOK_PREFIX"


def test_a_missing_bucket_says_so(s3_server, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.url)
    wb = ExperimentRepository("s3://no-such-bucket-here/experiments/")
    with pytest.raises(StorageError, match="bucket 'no-such-bucket-here' does not exist"):
        wb[:]


def test_missing_credentials_say_so(s3_prefix, monkeypatch):
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never probe an instance metadata address
    wb = ExperimentRepository(s3_prefix)
    with pytest.raises(CredentialsError, match="no AWS credentials"):
        len(wb)


def test_store_errors_are_not_swallowed_by_the_runs_table(s3_store):
    s3_store.finished("202601010000-goneAAAAAA", {"parameters.json": "{}"})
    wb = s3_store.repository(cache=False)
    assert len(wb) == 1
    client, bucket = s3_store.storage.client, s3_store.storage.bucket
    for item in client.list_objects_v2(Bucket=bucket)["Contents"]:
        client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)
    with pytest.raises(StorageError, match="does not exist"):
        wb.runs()


def test_show_versions_prints_the_readers_version_and_the_formats_it_reads(capsys):
    from lab_workbook_core.runs_index import INDEX_FORMAT_VERSION

    lab_workbook.show_versions()
    lines = [line.split(None, 1) for line in capsys.readouterr().out.splitlines()]
    assert ["lab-workbook", lab_workbook.__version__] in lines
    assert f"runs index {INDEX_FORMAT_VERSION}" in dict(lines)["formats"]
