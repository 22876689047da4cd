"""The fault proxy itself: each quirk does what real stores do, so the store-quirk tests can trust it."""

from __future__ import annotations

import base64
import hashlib

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
import pytest


def _client(proxy, **config):
    return boto3.client(
        "s3",
        endpoint_url=proxy.url,
        verify=str(proxy.ca_file) if proxy.ca_file else None,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, **config),
    )


def _bucket(prefix: str) -> str:
    return prefix.split("/")[2]


def test_transparent_by_default(fault_proxy, quirk_prefix):
    client, bucket = _client(fault_proxy), _bucket(quirk_prefix)
    client.put_object(Bucket=bucket, Key="k", Body=b"hello")
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"
    assert client.head_object(Bucket=bucket, Key="k")["ContentLength"] == 5
    assert fault_proxy.count("PUT") == 1


def test_tls_endpoint_receives_aws_chunked_bodies_and_can_reject_them(tls_proxy, quirk_prefix):
    client, bucket = _client(tls_proxy), _bucket(quirk_prefix)
    client.put_object(Bucket=bucket, Key="k", Body=b"over tls")
    assert "aws-chunked" in tls_proxy.seen[-1].headers.get("content-encoding", "")
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"over tls"
    tls_proxy.faults.reject_checksums = True
    with pytest.raises(ClientError, match="InvalidArgument"):
        client.put_object(Bucket=bucket, Key="k2", Body=b"x")


def test_moto_itself_stores_bytes_whatever_checksum_comes_with_them(fault_proxy, quirk_prefix):
    client, bucket = _client(fault_proxy), _bucket(quirk_prefix)
    client.put_object(Bucket=bucket, Key="k", Body=b"hello", ContentMD5=base64.b64encode(bytes(16)).decode())
    client.put_object(Bucket=bucket, Key="k2", Body=b"hello", ChecksumCRC32="AAAAAA==")
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"
    assert client.get_object(Bucket=bucket, Key="k2")["Body"].read() == b"hello"


@pytest.mark.parametrize("claim", [{"ContentMD5": base64.b64encode(bytes(16)).decode()}, {"ChecksumCRC32": "AAAAAA=="}])
def test_verifying_refuses_bytes_that_do_not_match_their_checksum_and_stores_nothing(fault_proxy, quirk_prefix, claim):
    client, bucket = _client(fault_proxy), _bucket(quirk_prefix)
    fault_proxy.faults.verify_checksums = True
    with pytest.raises(ClientError, match="BadDigest"):
        client.put_object(Bucket=bucket, Key="k", Body=b"hello", **claim)
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_verifying_stores_bytes_that_match_their_checksum_also_in_an_aws_chunked_trailer(tls_proxy, quirk_prefix):
    client, bucket = _client(tls_proxy), _bucket(quirk_prefix)
    tls_proxy.faults.verify_checksums = True
    md5 = base64.b64encode(hashlib.md5(b"over tls").digest()).decode()
    client.put_object(Bucket=bucket, Key="k", Body=b"over tls", ContentMD5=md5)  # and a CRC32 in the trailer
    assert "x-amz-checksum-crc32" in tls_proxy.seen[-1].headers.get("x-amz-trailer", "")
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"over tls"


def test_requires_content_md5_on_batch_deletes(fault_proxy, quirk_prefix):
    fault_proxy.faults.require_delete_md5 = True
    with pytest.raises(ClientError, match="MissingContentMD5"):
        _client(fault_proxy).delete_objects(Bucket=_bucket(quirk_prefix), Delete={"Objects": [{"Key": "k"}]})


def test_conditional_writes_answered_501_or_ignored(fault_proxy, quirk_prefix):
    client, bucket = _client(fault_proxy), _bucket(quirk_prefix)
    client.put_object(Bucket=bucket, Key="k", Body=b"first")
    fault_proxy.faults.if_none_match = "501"
    with pytest.raises(ClientError, match="NotImplemented"):
        client.put_object(Bucket=bucket, Key="k", Body=b"second", IfNoneMatch="*")
    fault_proxy.faults.if_none_match = "ignore"
    client.put_object(Bucket=bucket, Key="k", Body=b"third", IfNoneMatch="*")
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"third"


def test_fails_every_nth_request_with_slowdown(fault_proxy, quirk_prefix):
    client, bucket = _client(fault_proxy), _bucket(quirk_prefix)
    fault_proxy.faults.fail_every = 2
    client.list_objects_v2(Bucket=bucket)
    with pytest.raises(ClientError, match="SlowDown"):
        client.list_objects_v2(Bucket=bucket)


def test_down_unaccepting_and_blackholed(fault_proxy, quirk_prefix):
    client, bucket = _client(fault_proxy, connect_timeout=0.5, read_timeout=0.5), _bucket(quirk_prefix)
    fault_proxy.down()
    with pytest.raises(EndpointConnectionError):
        client.list_objects_v2(Bucket=bucket)
    fault_proxy.unaccepting()
    with pytest.raises(ConnectTimeoutError):
        client.list_objects_v2(Bucket=bucket)
    fault_proxy.up()
    fault_proxy.faults.blackhole = True
    with pytest.raises(ReadTimeoutError):
        client.list_objects_v2(Bucket=bucket)
    fault_proxy.reset()
    client.list_objects_v2(Bucket=bucket)
