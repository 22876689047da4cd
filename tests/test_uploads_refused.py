"""An upload the store refuses for good is not retried, is reported once per kind, and is counted (issue 22).

Through the fault proxy in front of moto: ``deny_puts`` answers ``403 AccessDenied`` as a bucket
policy or read-only credentials do. Retrying cannot help, so the writer stops after one request,
keeps the data in its spool for ``lab-workbook sync``, and ``close()`` says something is missing.
"""

from __future__ import annotations

import json
import time

import boto3
from lab_workbook_core.keys import run_record_key
from lab_workbook_writer import new_experiment, sync


def _record(s3_server, prefix: str, tag: str) -> dict:
    bucket, base = prefix[5:].split("/", 1)
    body = boto3.client("s3", endpoint_url=s3_server.url).get_object(Bucket=bucket, Key=base + run_record_key(tag))
    return json.loads(body["Body"].read())


def _cannot(err: str, kind: str) -> list[str]:
    return [line for line in err.splitlines() if "cannot upload" in line and f"{kind}:" in line]


def test_an_upload_the_store_denies_is_sent_once_and_never_retried(fault_proxy, quirk_prefix):
    wb = new_experiment(quirk_prefix, max_retry_seconds=0.05, close_timeout=10, capture_environment=False)
    fault_proxy.faults.deny_puts = "model.json"
    wb.save_json("model", {"weights": [1, 2, 3]})
    assert wb.flush(timeout=10) is False
    time.sleep(1.0)  # retries every 0.05 s would send dozens meanwhile
    assert fault_proxy.count("PUT", "model.json") == 1
    wb.close()


def test_close_returns_false_and_the_run_is_recorded_failed_counting_the_denied_uploads(
    fault_proxy, quirk_prefix, s3_server
):
    wb = new_experiment(quirk_prefix, max_retry_seconds=0.05, close_timeout=10, capture_environment=False)
    fault_proxy.faults.deny_puts = "model"
    wb.save_json("model", {"weights": [1, 2, 3]})
    wb.save_json("model-ema", {"weights": [1, 2, 3]})
    wb.save_json("parameters", {"lr": 0.1})
    assert wb.close() is False
    record = _record(s3_server, quirk_prefix, wb.tag)
    assert record["status"] == "failed" and record["error"]["type"] == "AccessDenied"
    assert "2 upload(s) refused by the store" in record["error"]["message"]
    assert "parameters.json" in record["artifacts"]


def test_a_store_denying_every_write_is_reported_once(fault_proxy, quirk_prefix, capsys):
    wb = new_experiment(quirk_prefix, max_retry_seconds=0.05, close_timeout=10, capture_environment=False)
    capsys.readouterr()
    fault_proxy.faults.deny_puts = ""
    log = wb.new_time_series_log("loss", ["step", "loss"], flush_seconds=0.05)
    for step in range(20):
        wb.save_json(f"checkpoint-{step}", {"step": step})
        log(step=step, loss=1.0)
        time.sleep(0.01)
    assert wb.close() is False
    err = capsys.readouterr().err
    assert len(_cannot(err, "AccessDenied")) == 1, err
    assert "retrying cannot help" in _cannot(err, "AccessDenied")[0]
    assert "lab-workbook sync" in _cannot(err, "AccessDenied")[0]


def test_each_new_kind_of_failure_is_reported_even_in_the_middle_of_an_outage(fault_proxy, quirk_prefix, capsys):
    wb = new_experiment(quirk_prefix, max_retry_seconds=0.05, close_timeout=10, capture_environment=False)
    capsys.readouterr()
    fault_proxy.down()
    wb.save_json("model", {"weights": [1]})
    assert wb.flush(timeout=10) is False
    fault_proxy.up()
    fault_proxy.faults.deny_puts = ""  # the store answers again, but refuses: a new kind, said at once
    wb.save_json("other", {"weights": [2]})
    assert wb.close() is False
    err = capsys.readouterr().err
    assert len(_cannot(err, "StoreUnreachable")) == 1, err
    assert len(_cannot(err, "AccessDenied")) == 1, err


def test_a_run_started_offline_whose_claim_is_denied_sends_nothing_and_closes_at_once(
    fault_proxy, quirk_prefix, s3_server, capsys
):
    fault_proxy.down()
    wb = new_experiment(quirk_prefix, close_timeout=60, capture_environment=False)
    wb.save_json("parameters", {"lr": 0.1})
    fault_proxy.up()
    fault_proxy.faults.deny_puts = ""
    started = time.monotonic()
    assert wb.close() is False
    assert time.monotonic() - started < 10  # not close_timeout: nothing can be sent
    err = capsys.readouterr().err
    assert "refused its tag's claim (AccessDenied" in err and "lab-workbook sync" in err
    bucket = quirk_prefix[5:].split("/", 1)[0]
    assert boto3.client("s3", endpoint_url=s3_server.url).list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_what_was_denied_is_sent_by_sync_once_the_store_accepts_it(fault_proxy, quirk_prefix, s3_server):

    wb = new_experiment(quirk_prefix, max_retry_seconds=0.05, close_timeout=10, capture_environment=False)
    fault_proxy.faults.deny_puts = "model"
    wb.save_json("model", {"weights": [1, 2, 3]})
    assert wb.close() is False
    fault_proxy.faults.deny_puts = None  # the bucket policy is fixed
    sync()
    bucket, base = quirk_prefix[5:].split("/", 1)
    body = (
        boto3.client("s3", endpoint_url=s3_server.url)
        .get_object(Bucket=bucket, Key=f"{base}{wb.tag}/model.json")["Body"]
        .read()
    )
    assert json.loads(body) == {"weights": [1, 2, 3]}
