"""``lab-workbook doctor``: each check, and what it says when one fails."""

import json
from pathlib import Path

import boto3
from lab_workbook_cli import app


def test_a_healthy_s3_store_passes_every_check(runner, fault_proxy, quirk_prefix):
    fault_proxy.faults.verify_checksums = True  # as AWS S3 does; moto alone stores bytes whatever their checksum
    result = runner.invoke(app, ["doctor", "--prefix", quirk_prefix, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert [c["name"] for c in data["checks"]] == [
        "config",
        "credentials",
        "store",
        "write",
        "conditional writes",
        "checksums",
        "integrity",
        "deletes",
    ]
    assert not any(c["warning"] for c in data["checks"])


def test_the_write_probe_is_deleted(runner, s3_prefix, s3_bucket, s3_server):
    runner.invoke(app, ["doctor", "--prefix", s3_prefix])
    client = boto3.client("s3", endpoint_url=s3_server.url)
    assert client.list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0


def test_credentials_source_is_shown_never_the_secret(runner, s3_prefix, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value")
    result = runner.invoke(app, ["doctor", "--prefix", s3_prefix])
    assert "environment variables" in result.stdout
    assert "very-secret-value" not in result.output


def test_missing_credentials_fail_with_what_to_do(runner, s3_prefix, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = runner.invoke(app, ["doctor", "--prefix", s3_prefix, "--json"])
    assert result.exit_code == 1
    credentials = json.loads(result.stdout)["checks"][1]
    assert credentials["ok"] is False and "aws configure" in credentials["detail"]


def test_a_missing_bucket_fails_the_store_check(runner, s3_server, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.url)
    result = runner.invoke(app, ["doctor", "--prefix", "s3://no-such-bucket-here/exp/", "--json"])
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["store"]["ok"] is False and "does not exist" in checks["store"]["detail"]
    assert checks["write"]["ok"] is None


def test_a_store_refusing_writes_fails_the_write_check(runner, local_prefix, monkeypatch):
    from lab_workbook_core import AccessDenied, LocalStorage

    def refuse(self, key, data, *, if_absent=False):
        raise AccessDenied(f"cannot write {key}: Permission denied; check the folder's permissions")

    Path(local_prefix).mkdir()
    monkeypatch.setattr(LocalStorage, "put_bytes", refuse)
    result = runner.invoke(app, ["doctor", "--prefix", local_prefix, "--json"])
    assert result.exit_code == 1
    write = json.loads(result.stdout)["checks"][3]
    assert write["ok"] is False and "Permission denied" in write["detail"]


def test_a_bad_config_file_fails_the_first_check_and_skips_the_rest(runner, isolated_home):
    (isolated_home / ".lab-workbook-config").write_text("nonsense\n")
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    checks = json.loads(result.stdout)["checks"]
    assert checks[0]["ok"] is False and "line 1" in checks[0]["detail"]
    assert {c["ok"] for c in checks[1:]} == {None}


def _doctor(runner, prefix):
    result = runner.invoke(app, ["doctor", "--prefix", prefix, "--json"])
    return result, {c["name"]: c for c in json.loads(result.stdout)["checks"]}


def test_a_store_answering_501_to_conditional_writes_is_a_warning_not_a_pass(runner, fault_proxy, quirk_prefix):
    fault_proxy.faults.if_none_match = "501"
    result, checks = _doctor(runner, quirk_prefix)
    assert result.exit_code == 0
    assert (
        checks["conditional writes"]["warning"]
        and "does not implement If-None-Match" in checks["conditional writes"]["detail"]
    )


def test_a_store_ignoring_conditional_writes_is_found_out(runner, fault_proxy, quirk_prefix):
    fault_proxy.faults.if_none_match = "ignore"
    _, checks = _doctor(runner, quirk_prefix)
    assert checks["conditional writes"]["warning"] and "IGNORES If-None-Match" in checks["conditional writes"]["detail"]


def test_doctor_says_what_to_set_when_the_store_rejects_flexible_checksums(
    runner, fault_proxy, quirk_prefix, monkeypatch
):
    fault_proxy.faults.reject_checksums = True
    _, checks = _doctor(runner, quirk_prefix)
    assert checks["checksums"]["ok"] is True and "keep it" in checks["checksums"]["detail"]
    monkeypatch.setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "when_supported")
    result, checks = _doctor(runner, quirk_prefix)
    assert result.exit_code == 1
    assert "checksumMode = when_required" in checks["checksums"]["detail"]


def test_a_store_without_batch_deletes_is_reported(runner, fault_proxy, quirk_prefix, s3_server):
    fault_proxy.faults.no_batch_delete = True
    result, checks = _doctor(runner, quirk_prefix)
    assert result.exit_code == 0
    assert checks["deletes"]["warning"] and "no batch delete" in checks["deletes"]["detail"]
    bucket = quirk_prefix.split("/")[2]
    assert boto3.client("s3", endpoint_url=s3_server.url).list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_a_store_that_refuses_a_wrong_checksum_is_said_to_verify_integrity(runner, fault_proxy, quirk_prefix):
    fault_proxy.faults.verify_checksums = True
    result, checks = _doctor(runner, quirk_prefix)
    integrity = checks["integrity"]
    assert (result.exit_code, integrity["ok"], integrity["warning"]) == (0, True, False)
    assert "verifies checksums: it refused a wrong Content-MD5 and a wrong CRC32" in integrity["detail"]
    refused = [s for s in fault_proxy.seen if s.method == "PUT" and s.answered == 400]
    assert {"content-md5", "x-amz-checksum-crc32"} <= {h for s in refused for h in s.headers}


def test_a_store_that_stores_bytes_with_a_wrong_checksum_is_said_not_to_verify(runner, s3_prefix, s3_bucket, s3_server):
    result, checks = _doctor(runner, s3_prefix)  # moto, like s3rver, accepts any checksum
    integrity = checks["integrity"]
    assert (result.exit_code, integrity["ok"], integrity["warning"]) == (0, True, True)
    assert "does NOT verify checksums" in integrity["detail"]
    assert "Content-MD5 and a wrong CRC32" in integrity["detail"]
    assert boto3.client("s3", endpoint_url=s3_server.url).list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0


def test_a_store_that_rejects_checksum_headers_is_judged_by_content_md5_alone(runner, fault_proxy, quirk_prefix):
    fault_proxy.faults.reject_checksums = True
    fault_proxy.faults.verify_checksums = True
    _, checks = _doctor(runner, quirk_prefix)
    detail = checks["integrity"]["detail"]
    assert "verifies checksums: it refused a wrong Content-MD5;" in detail
    assert "a wrong CRC32 could not be sent" in detail and "InvalidArgument" in detail


def test_a_local_folder_that_does_not_exist_is_reported_and_not_created(runner, tmp_path):
    folder = tmp_path / "typo"
    result, checks = _doctor(runner, str(folder) + "/")
    assert result.exit_code == 0
    assert checks["store"]["warning"] and f"the folder {folder} does not exist" in checks["store"]["detail"]
    assert checks["write"]["ok"] is True and "not tried" in checks["write"]["detail"]
    assert {checks[name]["ok"] for name in ("conditional writes", "checksums", "integrity", "deletes")} == {None}
    assert not folder.exists()


def test_an_existing_local_folder_passes_without_a_warning(runner, local_prefix, make_run):
    make_run(local_prefix, "202401011000-aaaaaaaaaa")
    result, checks = _doctor(runner, local_prefix)
    assert result.exit_code == 0
    assert not any(c["warning"] for c in checks.values())
    assert checks["store"]["detail"].endswith("1 experiment folder(s)")
