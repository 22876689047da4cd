"""Real S3-compatible stores (issue 9): each quirk of MinIO, Ceph RGW, B2, R2... and a run still finishes.

The stores are moto behind :class:`faultproxy.FaultProxy` (``fault_proxy`` over HTTP,
``tls_proxy`` over HTTPS, where boto3 sends ``aws-chunked`` bodies). A run "finishes"
when its record says ``finished`` and every row logged is in the store.
"""

from __future__ import annotations

import json
import threading
import time

import boto3
from lab_workbook_core import (
    AlreadyExists,
    Config,
    NoConditionalWritesWarning,
    StorageError,
    load_config,
    open_storage,
)
from lab_workbook_core.keys import run_record_key
from lab_workbook_writer import new_experiment
import pytest


def _record(s3_server, prefix: str, tag: str) -> dict:
    bucket, base = prefix[5:].split("/", 1)
    client = boto3.client("s3", endpoint_url=s3_server.url)
    return json.loads(client.get_object(Bucket=bucket, Key=base + run_record_key(tag))["Body"].read())


def _rows(s3_server, prefix: str, tag: str, name: str) -> list[str]:
    bucket, base = prefix[5:].split("/", 1)
    client = boto3.client("s3", endpoint_url=s3_server.url)
    text = client.get_object(Bucket=bucket, Key=f"{base}{tag}/{name}")["Body"].read().decode()
    return text.splitlines()[1:]


def _keys(s3_server, prefix: str) -> list[str]:
    bucket = prefix[5:].split("/", 1)[0]
    listing = boto3.client("s3", endpoint_url=s3_server.url).list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in listing.get("Contents", [])]


def _run(prefix: str, rows: int = 20, **options) -> tuple[str, bool]:
    wb = new_experiment(prefix, description="quirks", **options)
    log = wb.new_time_series_log("loss", ["step", "loss"], save_every=5, flush_seconds=0.05)
    for step in range(rows):
        log(step=step, loss=1.0 / (step + 1))
        if step == rows // 2:
            assert log.flush(timeout=20)  # so series segments exist and must be cleaned up at close
    wb.save_json("parameters", {"lr": 0.1})
    return wb.tag, wb.close(timeout=30)


def _assert_arrived(s3_server, prefix: str, tag: str, sent: bool, rows: int = 20) -> None:
    """The run closed with everything sent: a finished record and every row of its series."""
    assert sent
    assert _record(s3_server, prefix, tag)["status"] == "finished"
    assert len(_rows(s3_server, prefix, tag, "loss.csv")) == rows


# -- 1. flexible checksums --------------------------------------------------------------------


def test_a_run_finishes_over_tls_on_a_store_rejecting_flexible_checksums(tls_proxy, quirk_prefix, s3_server):
    tls_proxy.faults.reject_checksums = True
    tag, sent = _run(quirk_prefix)
    _assert_arrived(s3_server, quirk_prefix, tag, sent)
    assert not [s for s in tls_proxy.seen if s.answered == 400]


def test_custom_endpoints_default_to_when_required_checksums(fault_proxy, quirk_prefix):
    config = load_config(quirk_prefix)
    assert config.checksum_mode == "when_required"
    assert config.sources["checksum_mode"] == "default for a custom endpoint"
    open_storage(config).put_bytes("probe", b"x")
    assert not any(name.startswith("x-amz-checksum-") for name in fault_proxy.seen[-1].headers)


def test_the_config_file_can_ask_for_flexible_checksums(fault_proxy, quirk_prefix, isolated_home, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # the environment would win over the file
    (isolated_home / ".lab-workbook-config").write_text(
        "bucketPrefix = s3://unused/\nregion = eu-west-3\naddressingStyle = path\nchecksumMode = when_supported\n"
    )
    config = load_config(quirk_prefix)
    assert (config.region, config.addressing_style, config.checksum_mode) == ("eu-west-3", "path", "when_supported")
    storage = open_storage(config)
    assert storage.client.meta.region_name == "eu-west-3"
    storage.put_bytes("probe", b"x")
    assert "x-amz-checksum-crc32" in fault_proxy.seen[-1].headers


def test_a_bad_checksum_mode_in_the_config_file_names_the_line(isolated_home):
    (isolated_home / ".lab-workbook-config").write_text("bucketPrefix = s3://b/\nchecksumMode = sometimes\n")
    with pytest.raises(ValueError, match=r"line 2: checksumMode must be one of when_supported, when_required"):
        load_config()


# -- 6. the store a run was recorded for; the user's retry settings ------------------------


def test_a_storage_uses_the_endpoint_core_resolved_not_the_current_shells(s3_server, quirk_prefix, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # the shell now points elsewhere
    storage = open_storage(Config(prefix=quirk_prefix, endpoint_url=s3_server.url))
    storage.put_bytes("k", b"to the recorded store")
    assert storage.get_bytes("k") == b"to the recorded store"


def test_the_users_retry_settings_win(fault_proxy, quirk_prefix, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    fault_proxy.faults.fail_every, fault_proxy.faults.fail_status = 1, 500
    storage = open_storage(load_config(quirk_prefix), max_attempts=1)
    with pytest.raises(StorageError):
        storage.get_bytes("k")
    assert fault_proxy.count("GET") == 3


def test_sync_sends_to_the_store_the_run_was_recorded_for(
    fault_proxy, quirk_prefix, s3_server, monkeypatch, isolated_home
):
    from lab_workbook_writer import sync

    fault_proxy.down()
    wb = new_experiment(quirk_prefix, close_timeout=0.5)
    wb.save_json("parameters", {"lr": 0.1})
    assert wb.close() is False
    fault_proxy.up()
    (destination,) = isolated_home.glob("spool/*/destination.json")
    assert json.loads(destination.read_text())["checksum_mode"] == "when_required"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # another shell, another endpoint
    report = sync()
    assert not report.failed and report.sent >= 2
    assert _record(s3_server, quirk_prefix, wb.tag)["status"] == "finished"


# -- 2. batch deletes -----------------------------------------------------------------------


def test_batch_deletes_carry_content_md5(fault_proxy, quirk_prefix):
    fault_proxy.faults.require_delete_md5 = True
    storage = open_storage(load_config(quirk_prefix))
    for name in ("a", "b"):
        storage.put_bytes(name, b"x")
    storage.delete(["a", "b"])
    assert not storage.exists("a") and not storage.exists("b")
    assert fault_proxy.count("POST", "delete") == 1


def test_a_run_finishes_and_cleans_its_segments_on_a_store_requiring_md5(fault_proxy, quirk_prefix, s3_server):
    fault_proxy.faults.require_delete_md5 = True
    tag, sent = _run(quirk_prefix)
    _assert_arrived(s3_server, quirk_prefix, tag, sent)
    assert not [k for k in _keys(s3_server, quirk_prefix) if "/segments/" in k]


def test_errors_inside_a_quiet_batch_delete_are_raised(fault_proxy, quirk_prefix):
    storage = open_storage(load_config(quirk_prefix))
    storage.put_bytes("kept", b"x")
    fault_proxy.faults.delete_errors = True
    with pytest.raises(StorageError, match=r"did not delete 1 of 1 .*AccessDenied"):
        storage.delete(["kept"])


def test_a_store_without_batch_deletes_gets_one_delete_per_key(fault_proxy, quirk_prefix):
    storage = open_storage(load_config(quirk_prefix))
    for name in ("a", "b"):
        storage.put_bytes(name, b"x")
    fault_proxy.faults.no_batch_delete = True
    storage.delete(["a", "b"])
    assert not storage.exists("a") and not storage.exists("b")
    assert fault_proxy.count("DELETE") == 2


# -- 3, 4. conditional writes and tag claims ------------------------------------------------


@pytest.mark.parametrize("quirk", ["501", "ignore"])
def test_a_user_chosen_tag_that_exists_is_refused_without_conditional_writes(
    fault_proxy, quirk_prefix, quirk, s3_server
):
    first = new_experiment(quirk_prefix, tag="baseline")
    first.save_json("parameters", {"lr": 0.1})
    assert first.close(timeout=20)
    fault_proxy.faults.if_none_match = quirk
    with pytest.raises(AlreadyExists, match="'baseline' is already used"):
        new_experiment(quirk_prefix, tag="baseline")
    assert _record(s3_server, quirk_prefix, "baseline")["status"] == "finished"


def test_a_store_answering_501_to_conditional_writes_is_not_an_outage(fault_proxy, quirk_prefix, s3_server, capsys):
    fault_proxy.faults.if_none_match = "501"
    with pytest.warns(NoConditionalWritesWarning, match="not race-free"):
        tag, sent = _run(quirk_prefix)
    assert sent
    assert "cannot reach" not in capsys.readouterr().err
    assert _record(s3_server, quirk_prefix, tag)["status"] == "finished"


def test_a_claim_checks_first_so_even_an_ignored_condition_never_reuses_a_tag(fault_proxy, quirk_prefix):
    from lab_workbook_core import claim_tag

    storage = open_storage(load_config(quirk_prefix))
    storage.put_bytes(run_record_key("taken"), b'{"status": "finished"}')
    fault_proxy.faults.if_none_match = "ignore"
    with pytest.raises(AlreadyExists):
        claim_tag(storage, lambda tag: b"{}", "taken")
    assert storage.get_bytes(run_record_key("taken")) == b'{"status": "finished"}'


# -- 5. timeouts ----------------------------------------------------------------------------


def test_a_connect_timeout_at_start_does_not_stop_the_run(fault_proxy, quirk_prefix, capsys):
    fault_proxy.unaccepting()
    started = time.monotonic()
    wb = new_experiment(quirk_prefix, close_timeout=0.5)
    assert time.monotonic() - started < 15
    assert "recording it locally" in capsys.readouterr().err
    wb.close()


def test_a_black_holed_store_holds_the_start_back_only_briefly(fault_proxy, quirk_prefix, capsys):
    fault_proxy.faults.blackhole = True
    started = time.monotonic()
    wb = new_experiment(quirk_prefix, close_timeout=0.5)
    assert time.monotonic() - started < 20
    assert "recording it locally" in capsys.readouterr().err
    wb.close()


def test_a_store_that_comes_back_while_close_waits_is_noticed_within_a_second_or_two(
    fault_proxy, quirk_prefix, s3_server
):
    wb = new_experiment(quirk_prefix)
    fault_proxy.down()
    wb.save_json("parameters", {"lr": 0.1})
    time.sleep(6)  # the uploader has backed off for several seconds by now
    threading.Timer(1.0, fault_proxy.up).start()
    started = time.monotonic()
    assert wb.close(timeout=10) is True
    assert time.monotonic() - started < 4.5
    assert _record(s3_server, quirk_prefix, wb.tag)["status"] == "finished"


# -- slow and failing stores ----------------------------------------------------------------


def test_a_run_finishes_with_every_row_on_a_store_that_slows_down_and_drops(fault_proxy, quirk_prefix, s3_server):
    fault_proxy.faults.fail_every = 4
    fault_proxy.faults.drop_every = 7
    fault_proxy.faults.delay = 0.01
    tag, sent = _run(quirk_prefix, rows=60, max_retry_seconds=0.5)
    fault_proxy.reset()
    _assert_arrived(s3_server, quirk_prefix, tag, sent, rows=60)


def test_a_run_started_offline_never_overwrites_the_run_that_took_its_tag(fault_proxy, quirk_prefix, s3_server, capsys):
    from lab_workbook_writer import sync

    fault_proxy.down()
    wb = new_experiment(quirk_prefix, tag="baseline", close_timeout=2)
    wb.save_json("parameters", {"lr": 0.5})
    bucket, base = quirk_prefix[5:].split("/", 1)
    theirs = b'{"status": "finished", "tag": "baseline"}'
    client = boto3.client("s3", endpoint_url=s3_server.url)
    client.put_object(Bucket=bucket, Key=base + run_record_key("baseline"), Body=theirs)
    client.put_object(Bucket=bucket, Key=base + "baseline/parameters.json", Body=b'{"lr": 0.1}')
    fault_proxy.up()
    assert wb.close() is False
    assert "tag is taken there by another run" in capsys.readouterr().err
    assert client.get_object(Bucket=bucket, Key=base + run_record_key("baseline"))["Body"].read() == theirs
    assert client.get_object(Bucket=bucket, Key=base + "baseline/parameters.json")["Body"].read() == b'{"lr": 0.1}'
    report = sync()
    assert report.sent == 0 and not report.failed
    assert [run.tag for run in report.stranded] == ["baseline"]  # waits for `sync --retag` or `--discard`
    assert client.get_object(Bucket=bucket, Key=base + run_record_key("baseline"))["Body"].read() == theirs
